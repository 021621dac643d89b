import type { RegisterCommand } from './main.js';

export const registerDoctor: RegisterCommand = () => undefined;
