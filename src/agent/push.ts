/**
 * The push side of the agent as one module: the push router (SMS/WDP WAP push, package #0) and the
 * over-the-air bootstrapper. `Agent` imports it statically. The QuickJS host imports the router
 * and the bootstrapper separately with dynamic `import()`s (`PushParts.loadBootstrapper`), so a
 * client-initiated session loads neither and a listening device the bootstrapper only on demand.
 */
import { Bootstrapper } from '../bootstrap/Bootstrapper';
import { PushRouter } from '../push/PushRouter';
import type { PushParts } from './AgentCore';

export const PUSH_PARTS: PushParts = { PushRouter, Bootstrapper };
