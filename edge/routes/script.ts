/**
 * @module
 * Placeholder until its issue lands: mounts nothing yet.
 */
import { Hono } from 'hono';
import type { AppEnv } from '../app.ts';

export const scriptRoute = new Hono<AppEnv>();
