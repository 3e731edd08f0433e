/**
 * DM user-interaction alerts 1100–1104 (facts §3.3): parameters of the first Item
 * (`MINDT=10&MAXDT=30&DR=1&MAXLEN=20&IT=N&ET=P`, URL-encoded, unknown parameters skipped) and the
 * mapping of the user's answer to the Alert's status and Status Items.
 */
import type { OutItem } from '../codec/model';
import type { UiAnswer, UiParams, UiRequest } from '../platform';
import { Status } from '../status';

/** Kinds of UI alert by code. */
export const UI_KINDS: Readonly<Record<number, UiRequest['kind']>> = Object.freeze({
  1100: 'display', 1101: 'confirm', 1102: 'input', 1103: 'single', 1104: 'multi',
});

/** Decodes `application/x-www-form-urlencoded` text (`+` = space, `%XX`); bad escapes stay literal. */
export function formDecode(s: string): string {
  const t = s.replace(/\+/g, ' ');
  try {
    return decodeURIComponent(t);
  } catch {
    return t.replace(/%([0-9A-Fa-f]{2})/g, (_m, h: string) => String.fromCharCode(parseInt(h, 16)));
  }
}


/** Parses the parameter text of a UI alert's first item. */
export function parseUiParams(text: string): UiParams {
  const p: UiParams = {};
  for (const part of text.trim().split('&')) {
    const eq = part.indexOf('=');
    if (eq <= 0) continue;
    const k = part.slice(0, eq).trim().toUpperCase();
    const v = formDecode(part.slice(eq + 1));
    const n = /^[0-9]{1,9}$/.test(v) ? Number(v) : undefined;
    switch (k) {
      case 'MINDT': if (n !== undefined) p.minDisplay = n; break;
      case 'MAXDT': if (n !== undefined) p.maxDisplay = n; break;
      case 'DR': p.defaultResponse = v; break;
      case 'MAXLEN': if (n !== undefined) p.maxLen = n; break;
      case 'IT': if (/^[ANDTPI]$/.test(v)) p.inputType = v as UiParams['inputType'] & string; break;
      case 'ET': if (v === 'T' || v === 'P') p.echo = v; break;
      default: break; // unknown parameters are skipped silently
    }
  }
  return p;
}

/** Builds the host request for a UI alert. */
export function uiRequest(code: number, params: UiParams, text: string, choices: string[]): UiRequest {
  const req: UiRequest = { kind: UI_KINDS[code]!, text };
  if (code === 1103 || code === 1104) req.choices = choices;
  if (params.minDisplay !== undefined) req.minDisplay = params.minDisplay;
  if (params.maxDisplay !== undefined) req.maxDisplay = params.maxDisplay;
  if (params.defaultResponse !== undefined && code !== 1100) req.defaultResponse = params.defaultResponse;
  if (code === 1102) {
    if (params.maxLen !== undefined) req.maxLen = params.maxLen;
    if (params.inputType !== undefined) req.inputType = params.inputType;
    if (params.echo !== undefined) req.echo = params.echo;
  }
  return req;
}

/** Status code and Status Items answering a UI alert. */
export interface UiOutcome {
  code: number;
  items?: OutItem[];
}

/**
 * Maps the user's answer: cancel → 214; timeout → 408 (a display that timed out just ended: 200);
 * 1101 ok/no → 200/304; 1102 → 200 + the text (DR when the host gave none; MAXLEN enforced);
 * 1103/1104 → 200 + one Item per chosen number (1-based; DR when none; out-of-range dropped).
 */
export function uiOutcome(code: number, req: UiRequest, ans: UiAnswer): UiOutcome {
  if (ans.outcome === 'cancel') return { code: Status.Cancelled };
  if (code === 1100) return { code: Status.Ok };
  if (ans.outcome === 'timeout') return { code: Status.RequestTimeout };
  if (code === 1101) return { code: ans.outcome === 'no' ? Status.NotModified : Status.Ok };
  if (ans.outcome === 'no') return { code: Status.Cancelled };
  if (code === 1102) {
    let t = ans.text ?? req.defaultResponse ?? '';
    if (req.maxLen !== undefined && req.maxLen > 0) t = t.slice(0, req.maxLen);
    return { code: Status.Ok, items: [{ data: t }] };
  }
  const n = req.choices?.length ?? 0;
  let picks = ans.choices ?? (req.defaultResponse ?? '').split('-').filter((x) => /^[0-9]+$/.test(x)).map(Number);
  picks = picks.filter((c, i) => Number.isInteger(c) && c >= 1 && c <= n && picks.indexOf(c) === i);
  if (code === 1103) picks = picks.slice(0, 1);
  return { code: Status.Ok, items: picks.map((c) => ({ data: String(c) })) };
}
