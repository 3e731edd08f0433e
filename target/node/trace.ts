/** `omadm trace FILE`: renders a session trace (`omadm run --trace`) as readable, redacted XML. */
import { readFileSync } from 'node:fs';
import { b64decode } from '../../src/crypto/base64';
import { renderMessage } from '../../src/agent/transcript';

interface Entry { dir: 'out' | 'in'; url: string; contentType: string; body: string; status?: number }

export async function traceMain(argv: string[]): Promise<number> {
  const raw = argv.includes('--raw');
  const file = argv.find((a) => !a.startsWith('--'));
  if (!file) {
    process.stderr.write('usage: omadm trace [--raw] FILE\n');
    return 2;
  }
  const entries = JSON.parse(readFileSync(file, 'utf8')) as Entry[];
  if (!Array.isArray(entries)) {
    process.stderr.write(`omadm trace: ${file}: not a trace (array of messages)\n`);
    return 1;
  }
  for (const [i, e] of entries.entries()) {
    const body = b64decode(e.body);
    process.stdout.write(`\n=== #${i + 1} ${e.dir === 'out' ? 'client → server' : 'server → client'} ${e.url} (${body.length} bytes, ${e.contentType})\n`);
    process.stdout.write(renderMessage(body, { redact: !raw }) + '\n');
  }
  return 0;
}
