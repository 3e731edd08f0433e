/** Public surface of the portable core. */
export * from './platform';
export * from './status';
export * from './errors';
export * from './limits';
export * from './codec/model';
