/** What the journal throws: bad input or a refused operation (`JournalError`), and a schema from the future. */

export class JournalError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "JournalError";
  }
}

export class JournalSchemaTooNewError extends Error {
  constructor(
    readonly journalPath: string,
    readonly fileVersion: number,
    readonly knownVersion: number,
  ) {
    super(
      `journal ${journalPath} has schema version ${fileVersion}, newer than the ${knownVersion} this keeper knows; ` +
        `it was written by a newer Chimera. Upgrade this checkout, or point the keeper at another journal.`,
    );
    this.name = "JournalSchemaTooNewError";
  }
}
