/**
 * @module
 * The Worker's bindings as the code sees them: the interface `npm run types`
 * generates from wrangler.toml and .dev.vars.example
 * (edge/worker-configuration.d.ts, checked by `npm run check`), every binding
 * optional because a deployment may leave any out. Only ./config.ts reads
 * the settings' strings; edge/settings.ts says what each one means.
 */

export type Env = Partial<CloudflareBindings>;
