/** A mistake on the command line (a bad command, flag or value): exit status 2, with a hint to --help. */
export class UsageError extends Error {}

/** A usage error's message ending with where to read more (the command's --help), unless it says so already. */
export function withHelpHint(message: string, command: string | null): string {
  if (/--help\b/.test(message)) return message;
  return `${message}; run \`nightshift ${command ? `${command} ` : ''}--help\``;
}
