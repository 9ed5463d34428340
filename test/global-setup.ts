// Builds dist/ once before the suite, so end-to-end tests spawn the artifact that ships.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export default function setup(): void {
  // Unit-test runs may skip it: only the end-to-end tests spawn dist/.
  if (process.env['OIO_SKIP_BUILD']) return;
  const root = fileURLToPath(new URL('..', import.meta.url));
  execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json'], {
    cwd: root,
    stdio: 'inherit',
  });
}
