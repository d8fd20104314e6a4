/** Pins (CONTRACT §2.16): `pin add`, `pin list`, `pin remove`. */
export { pinAdd, pinList, pinRemove, type PinAddOptions, type PinRemoveResult } from './pin.js';
