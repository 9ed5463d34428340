// The list of commands, in the order `--help` shows them.
import { checkCommand } from './check.js';
import { checkConfigCommand } from './check-config.js';
import { breakerCommand, resumeCommand, suspendCommand } from './controls.js';
import { demoCommand } from './demo.js';
import { explainCommand } from './explain.js';
import type { Command } from './command.js';
import { journalCommand } from './journal.js';
import { repairCommand } from './repair.js';
import { rulesCommand } from './rules.js';
import { runCommand } from './run.js';
import { simCommand } from './sim.js';

export const commands: readonly Command[] = [runCommand, checkCommand, repairCommand, explainCommand, journalCommand, suspendCommand, resumeCommand, breakerCommand, checkConfigCommand, rulesCommand, simCommand, demoCommand];
