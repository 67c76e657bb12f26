// The one error every importer throws for bad input: names the file and where it went wrong, so a
// user can tell a truncated download from a wrong format. Anything else escaping an importer is a bug.

export class ProfileFormatError extends Error {
  constructor(
    readonly file: string,
    readonly position: string,
    readonly detail: string,
  ) {
    super(`${file}: ${position ? position + ': ' : ''}${detail}`);
    this.name = 'ProfileFormatError';
  }
}
