/** SMS WAP push path: GSM/CDMA SMS, reassembly, WSP, package #0, and the router. */
export * from './udh';
export * from './gsm';
export { unpackGsm7, gsm7Septets, packSeptets } from './gsm7';
export * from './cdma';
export * from './wsp';
export * from './pkg0';
export * from './Reassembler';
export * from './PushRouter';
