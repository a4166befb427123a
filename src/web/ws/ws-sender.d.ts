import 'ws';

// ws exports its Sender (index.js and wrapper.mjs), but @types/ws does not declare it: this is the
// one static method roomcast uses, as ws's own code documents it.
declare module 'ws' {
  export const Sender: {
    /** Frames `data`: the header and the data, to be written in that order. */
    frame(
      data: Buffer,
      options: { fin: boolean; opcode: number; mask: boolean; readOnly: boolean; rsv1: boolean },
    ): Buffer[];
  };
}
