/**
 * @module
 * Vitest global setup for the edge project: one fake X API server for the
 * whole run on a free port, its URL provided as `inject('fakeXUrl')`. Test
 * files isolate themselves by registering their own pixel (./control.ts).
 */
import type { TestProject } from 'vitest/node';
import { startFakeX } from './server.ts';

export default async function setup(project: TestProject) {
  const server = await startFakeX({ port: 0 });
  project.provide('fakeXUrl', server.url);
  return async function teardown() {
    await server.close();
  };
}
