/** Prints the README's configuration table from edge/settings.ts. */
import { settingsTable } from '../edge/settings.ts';

console.log(settingsTable());
