/** Steps during which a fault is in place (inject → hold → revert): what "during the fault" means. */
export const FAULT_WINDOW: ReadonlySet<string> = new Set(['inject', 'hold', 'revert']);
