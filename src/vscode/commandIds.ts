// Every command Ducktrace contributes, mirroring `contributes.commands` in package.json
// (an integration test checks that the two agree).
export const CommandIds = {
  showLog: 'ducktrace.showLog',
} as const;

export type CommandId = (typeof CommandIds)[keyof typeof CommandIds];
