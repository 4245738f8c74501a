/**
 * @module
 * Vitest global setup for the edge project: the shop origin edge capture passes
 * requests to, on a free port, provided as `inject('siteOriginUrl')`.
 */
import type { TestProject } from 'vitest/node';
import { startSiteOrigin } from './server.ts';

export default async function setup(project: TestProject) {
  const origin = await startSiteOrigin();
  project.provide('siteOriginUrl', origin.url);
  return () => origin.close();
}
