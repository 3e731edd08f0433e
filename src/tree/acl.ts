/**
 * Access control lists (OMA DM TND §8.3.7.1, facts §7.3).
 *
 * Grammar: `acl = [entry *("&" entry)]`, `entry = command "=" id *("+" id)`,
 * command ∈ Add|Delete|Exec|Get|Replace, id = `*` or printable characters other than
 * `= & * +` and whitespace. `*` grants the command to every server. There is no Copy entry.
 * An empty ACL means "inherit from the nearest ancestor that has one"; the root always has one.
 */

/** Commands an ACL can grant. */
export type AclCommand = 'Add' | 'Delete' | 'Exec' | 'Get' | 'Replace';

/** Canonical order used when an ACL is rewritten. */
export const ACL_COMMANDS: readonly AclCommand[] = ['Add', 'Delete', 'Exec', 'Get', 'Replace'];

/** Factory ACL of the root node (facts §7.3). */
export const ROOT_DEFAULT_ACL = 'Add=*&Get=*';

/** A parsed ACL: command → server ids (`*` included as an id). */
export type Acl = Map<AclCommand, string[]>;

const ID = /^(\*|[^=&*+\s]+)$/;

/** True when `id` is usable as a server identifier inside an ACL. */
export function isAclId(id: string): boolean {
  return id !== '*' && ID.test(id);
}

/** Parses an ACL; null when the text does not follow the grammar. Repeated commands merge. */
export function parseAcl(text: string): Acl | null {
  const acl: Acl = new Map();
  if (text === '') return acl;
  for (const entry of text.split('&')) {
    const eq = entry.indexOf('=');
    if (eq <= 0) return null;
    const cmd = entry.slice(0, eq);
    if (!(ACL_COMMANDS as readonly string[]).includes(cmd)) return null;
    const ids = entry.slice(eq + 1).split('+');
    for (const id of ids) if (!ID.test(id)) return null;
    const cur = acl.get(cmd as AclCommand);
    if (cur) { for (const id of ids) if (!cur.includes(id)) cur.push(id); }
    else acl.set(cmd as AclCommand, ids.filter((id, i) => ids.indexOf(id) === i));
  }
  return acl;
}

/** Text form in canonical command order. */
export function formatAcl(acl: Acl): string {
  const parts: string[] = [];
  for (const c of ACL_COMMANDS) {
    const ids = acl.get(c);
    if (ids && ids.length > 0) parts.push(`${c}=${ids.join('+')}`);
  }
  return parts.join('&');
}

/** True when the (non-empty, valid) ACL text grants `cmd` to `serverId`. Invalid text grants nothing. */
export function aclGrants(text: string, cmd: AclCommand, serverId: string): boolean {
  const acl = parseAcl(text);
  const ids = acl?.get(cmd);
  return !!ids && (ids.includes('*') || ids.includes(serverId));
}

/**
 * Removes `serverId` from an ACL (a deleted server identity, facts §7.3). A command left with no
 * id is dropped; on the root a command left empty returns to its factory value (`*` for Add and
 * Get, absent otherwise). Returns the new text (unchanged text when the id was not present).
 */
export function scrubAcl(text: string, serverId: string, isRoot: boolean): string {
  const acl = parseAcl(text);
  if (!acl) return text;
  let changed = false;
  for (const c of ACL_COMMANDS) {
    const ids = acl.get(c);
    if (!ids || !ids.includes(serverId)) continue;
    changed = true;
    const rest = ids.filter((x) => x !== serverId);
    if (rest.length > 0) acl.set(c, rest);
    else if (isRoot && (c === 'Add' || c === 'Get')) acl.set(c, ['*']);
    else acl.delete(c);
  }
  return changed ? formatAcl(acl) : text;
}
