/** Test helpers for the tree tests (portable). */
import { FakePlatform, MemStorage } from '../../helpers/fake-platform';
import { Tree } from '../../../src/tree/Tree';
import type { TreeOptions, GetResult } from '../../../src/tree/Tree';
import { utf8Decode } from '../../../src/util/utf8';

export function newTree(opts: TreeOptions = {}, storage = new MemStorage()): { tree: Tree; platform: FakePlatform; storage: MemStorage } {
  const platform = new FakePlatform(1, storage);
  return { tree: new Tree(platform, opts), platform, storage };
}

/** Text of the first result item (or null). */
export function text(r: GetResult): string | null {
  const d = r.items[0]?.data;
  return d ? utf8Decode(d) : null;
}

/** A stable dump of the whole tree as seen by an all-powerful reader (for exact-state comparisons). */
export function dump(tree: Tree): string {
  const out: string[] = [];
  const visit = (path: string): void => {
    const i = tree.store.info(path)!;
    const v = tree.store.read(path);
    out.push(`${path}|${i.interior ? 'I' : 'L'}|${i.format}|${i.type}|${i.acl}|${i.title}|${i.tstamp}|${i.verNo}|${i.permanent ? 'P' : ''}${i.secret ? 'S' : ''}|${v ? Array.from(v).join(',') : '-'}`);
    for (const c of tree.store.children(path) ?? []) visit(path === '.' ? `./${c}` : `${path}/${c}`);
  };
  visit('.');
  return out.join('\n');
}
