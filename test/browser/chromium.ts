/**
 * @module
 * How this project starts Chromium (Debian's /usr/bin/chromium through
 * playwright-core), shared by the browser tests and the main-thread bench so
 * both run the same browser with the same flags.
 */
import { type Browser, chromium } from 'playwright-core';

/** Debian's Chromium package: the browser both the tests and the bench drive. */
export const CHROMIUM_EXECUTABLE = '/usr/bin/chromium';

/** Launch arguments from the project brief: headless, no GPU, no background traffic. */
export const CHROMIUM_ARGS: readonly string[] = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--no-first-run',
  '--disable-quic',
  '--disable-sync',
];

export interface LaunchChromiumOptions {
  /** Another Chromium binary (the browser tests honour `CHROMIUM_PATH`). */
  executablePath?: string;
  /** How long the launch may take, in ms (playwright's default when absent). */
  timeout?: number;
  /** Flags after `CHROMIUM_ARGS`, for a caller that needs one more. */
  extraArgs?: readonly string[];
}

/**
 * Starts headless Chromium with the project's flags and a fresh profile.
 *
 * @example
 * const browser = await launchChromium({ timeout: 60_000 });
 * try { await (await browser.newPage()).goto('https://shop.example/'); } finally { await browser.close(); }
 */
export function launchChromium({
  executablePath = CHROMIUM_EXECUTABLE,
  timeout,
  extraArgs = [],
}: LaunchChromiumOptions = {}): Promise<Browser> {
  return chromium.launch({ executablePath, args: [...CHROMIUM_ARGS, ...extraArgs], timeout });
}
