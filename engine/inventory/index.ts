export type { InvGroup, InvHost, Inventory, VarSource } from './types.ts';
export { addPlaybookVars, loadInventory } from './load.ts';
export { buildInventory, addVarsFiles, type InventoryDoc, type VarsDoc } from './build.ts';
export { applyLimit, groupsMagic, selectHosts, splitPattern, type PatternOptions } from './patterns.ts';
export { inventoryGraph, inventoryList } from './output.ts';
export { expandHostRange } from './ranges.ts';
export { INVENTORY_SCHEMA, VARS_FILE_SCHEMA, validateInventory, validateVarsFile } from './schema.ts';
