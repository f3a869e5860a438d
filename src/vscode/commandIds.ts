// Every command Ducktrace contributes, mirroring `contributes.commands` in package.json
// (an integration test checks that the two agree).
export const CommandIds = {
  showLog: 'ducktrace.showLog',
  acceptHunk: 'ducktrace.acceptHunk',
  rejectHunk: 'ducktrace.rejectHunk',
  acceptAllHunks: 'ducktrace.acceptAllHunks',
  rejectAllHunks: 'ducktrace.rejectAllHunks',
  nextHunk: 'ducktrace.nextHunk',
  previousHunk: 'ducktrace.previousHunk',
  openSideBySide: 'ducktrace.openSideBySide',
  askAgain: 'ducktrace.askAgain',
  chooseModel: 'ducktrace.chooseModel',
  setApiKey: 'ducktrace.setApiKey',
  clearApiKey: 'ducktrace.clearApiKey',
  showBlocks: 'ducktrace.showBlocks',
  showSuspiciousBlocks: 'ducktrace.showSuspiciousBlocks',
  clearSuspiciousBlocks: 'ducktrace.clearSuspiciousBlocks',
  iterateUntilGreen: 'ducktrace.iterateUntilGreen',
  revertAllChanges: 'ducktrace.revertAllChanges',
  forgetTestEditPermission: 'ducktrace.forgetTestEditPermission',
  clearBlocks: 'ducktrace.clearBlocks',
  explainAndFix: 'ducktrace.explainAndFix',
  traceFailingTest: 'ducktrace.traceFailingTest',
  clearTrace: 'ducktrace.clearTrace',
  tracePreviousCall: 'ducktrace.tracePreviousCall',
  traceNextCall: 'ducktrace.traceNextCall',
  tracePreviousIteration: 'ducktrace.tracePreviousIteration',
  traceNextIteration: 'ducktrace.traceNextIteration',
  proposeChatFix: 'ducktrace.proposeChatFix',
} as const;

export type CommandId = (typeof CommandIds)[keyof typeof CommandIds];
