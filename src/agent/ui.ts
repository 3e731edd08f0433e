/**
 * Non-interactive UI policies for headless devices (the `ui` setting of the device configuration):
 * 'accept' confirms, takes the default response (or empty text), the default or first choice;
 * 'reject' answers No to confirmations and cancels everything else (displays are acknowledged).
 * `defer` runs the answer later (the UserInterface contract: never synchronously).
 */
import type { UiAnswer, UiRequest, UserInterface } from '../platform';

/** The answer the policy gives to a request. */
export function policyAnswer(policy: 'accept' | 'reject', req: UiRequest): UiAnswer {
  if (policy === 'reject') return req.kind === 'confirm' ? { outcome: 'no' } : req.kind === 'display' || req.kind === 'notification' ? { outcome: 'ok' } : { outcome: 'cancel' };
  if (req.kind === 'input') return { outcome: 'ok', text: req.defaultResponse ?? '' };
  if (req.kind === 'single') return { outcome: 'ok', choices: [req.defaultResponse ? parseInt(req.defaultResponse, 10) || 1 : 1] };
  if (req.kind === 'multi') {
    const c = req.defaultResponse ? req.defaultResponse.split('-').map((x) => parseInt(x, 10)).filter((x) => x > 0) : [];
    return { outcome: 'ok', choices: c.length > 0 ? c : [1] };
  }
  return { outcome: 'ok' };
}

/** A UserInterface answering by policy; `log` (optional) is told every question and answer. */
export function policyUi(policy: 'accept' | 'reject', defer: (cb: () => void) => void, log?: (msg: string) => void): UserInterface {
  return {
    ask(req: UiRequest, done: (a: UiAnswer) => void): void {
      const a = policyAnswer(policy, req);
      log?.(`UI ${req.kind}: "${req.text}" → ${a.outcome}${a.text !== undefined ? ` "${a.text}"` : ''}${a.choices ? ` ${a.choices.join(',')}` : ''}`);
      defer(() => done(a));
    },
  };
}
