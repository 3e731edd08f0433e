/**
 * The smoke corpus (for `make bench-smoke` inside `make test`): perfkit's generator writes the XML
 * of all five messages in about a second (`--no-wbxml`); libwbxml's xml2wbxml then encodes only the
 * small messages the smoke uses, with the same command line gen-corpus.mjs uses (so the bytes equal
 * the full corpus's), and wbxml2xml decodes each back to check its element count against the XML.
 * The 10 MiB message, whose WBXML takes libwbxml 70 s, is left XML-only.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CorpusMessage } from '../lib/corpus';

/** Messages given a WBXML form in the smoke corpus. */
export const SMOKE_WBXML = ['a-pkg1', 'b-pkg2', 'c-pkg3'];

const countElements = (s: string): number => (s.match(/<[A-Za-z]/g) ?? []).length;

/** Whether a command is on PATH. */
function have(cmd: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/**
 * Writes the smoke corpus into `out`. Without perfkit (a checkout without ../shared) the manifest is
 * empty and says why (the smoke then skips the codec cases); without libwbxml's tools it is XML only.
 */
export function buildSmokeCorpus(perfkit: string, out: string, log: (s: string) => void): void {
  const gen = join(perfkit, 'gen-corpus.mjs');
  if (!existsSync(gen)) {
    mkdirSync(out, { recursive: true });
    writeFileSync(join(out, 'manifest.json'), JSON.stringify({ messages: [], missing: `perfkit not found at ${perfkit}` }, null, 2) + '\n');
    log(`[bench] smoke corpus: perfkit not found at ${perfkit}: codec cases will be skipped`);
    return;
  }
  const wbxml = have('xml2wbxml') && have('wbxml2xml');
  if (!wbxml) log('[bench] smoke corpus: xml2wbxml/wbxml2xml not found (apt-get install libwbxml2-utils): XML only');
  execFileSync(process.execPath, [join(perfkit, 'gen-corpus.mjs'), out, '--no-wbxml'], { stdio: ['ignore', 'ignore', 'inherit'] });
  const mpath = join(out, 'manifest.json');
  const manifest = JSON.parse(readFileSync(mpath, 'utf8')) as { messages: CorpusMessage[] };
  for (const m of manifest.messages) {
    if (!wbxml || !SMOKE_WBXML.includes(m.name)) continue;
    const xml = join(out, m.xml.file);
    const wb = join(out, `${m.name}.wbxml`);
    execFileSync('xml2wbxml', ['-v', '1.2', '-o', wb, xml], { stdio: ['ignore', 'pipe', 'pipe'] });
    const rt = `${wb}.rt.xml`;
    execFileSync('wbxml2xml', ['-m', '0', '-o', rt, wb], { stdio: ['ignore', 'pipe', 'pipe'] });
    const n = countElements(readFileSync(rt, 'latin1'));
    rmSync(rt);
    if (n !== m.xml.elements) throw new Error(`${m.name}: wbxml2xml round trip gives ${n} elements, the XML has ${m.xml.elements}`);
    m.wbxml = { file: `${m.name}.wbxml`, bytes: statSync(wb).size, elements: n };
    log(`[bench] smoke corpus: ${m.name}.wbxml ${m.wbxml.bytes} B, ${n} elements (round trip checked)`);
  }
  writeFileSync(mpath, JSON.stringify(manifest, null, 2) + '\n');
}
