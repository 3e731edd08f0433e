/** Device bootstrap: factory profile, OMA DM bootstrap over WAP push (SEC/MAC), TNDS, OMA CP w7. */
export * from './limits';
export * from './sec';
export * from './tnds';
export * from './apply';
export * from './dm';
export * from './cp';
export * from './replay';
export * from './profile';
export * from './Bootstrapper';
