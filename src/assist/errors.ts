// The two ways an assistant tool call fails, both answered to the model as text it can act on:
// the input was refused before anything ran, or the work itself (the program, the recorder) failed.

export class AssistInputError extends Error {}

export class AssistRunError extends Error {}
