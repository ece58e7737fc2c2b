/**
 * The simulator's clock is the one virtual clock (src/clock/virtual.ts); its epoch is the
 * simulation's start.
 */
export { VirtualClock, VIRTUAL_EPOCH_MS as SIM_EPOCH_MS } from '../clock/virtual.js';
