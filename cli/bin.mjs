#!/usr/bin/env node
// `npx x-capi-edge`: runs cli/main.ts with Node's own TypeScript support
// (Node 22.18 or later; the repository's devDependency `node` provides it).
const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 18)) {
  process.stderr.write(
    `x-capi-edge: needs Node 22.18 or later (this is ${process.version}); run it with "npx x-capi-edge" inside the repository\n`,
  );
  process.exit(2);
}
const { runCli } = await import('./main.ts');
process.exitCode = await runCli(process.argv.slice(2), {
  env: process.env,
  stdout: process.stdout,
  stderr: process.stderr,
});
