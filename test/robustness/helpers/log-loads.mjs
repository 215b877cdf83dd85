// `node --import ./log-loads.mjs ...`: prints `LOAD <url>` on stderr for every module the process loads (a
// module-loader hook), so a test can see what a command pulls in at start-up.
import { register } from 'node:module';

register('data:text/javascript,' + encodeURIComponent(
  "export async function load(url, context, next) { if (!url.startsWith('node:')) process.stderr.write('LOAD ' + url + '\\n'); return next(url, context); }",
));
