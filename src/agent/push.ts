/**
 * The push side of the agent as one module: the push router (SMS/WDP WAP push, package #0) and the
 * over-the-air bootstrapper. `Agent` imports it statically; the QuickJS host imports it with a
 * dynamic `import()` only when it listens for pushes, so a client-initiated session never loads it.
 */
import { Bootstrapper } from '../bootstrap/Bootstrapper';
import { PushRouter } from '../push/PushRouter';
import type { PushParts } from './AgentCore';

export const PUSH_PARTS: PushParts = { PushRouter, Bootstrapper };
