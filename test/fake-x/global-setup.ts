/**
 * Placeholder global setup: provides a URL nobody listens on until the fake X
 * API server lands.
 */
import type { TestProject } from 'vitest/node';

export default function setup(project: TestProject) {
  project.provide('fakeXUrl', 'http://127.0.0.1:9');
}
