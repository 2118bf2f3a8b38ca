// The counter-based hash behind dropout's masks (splitmix64's finalizer), shared by the programs that
// draw masks: dropout.cl and model_batch.cl. The same function as dev.clprop.model.DropoutSpec.mix.
// The host builds this file before those in each program; a file never includes another. OpenCL C 1.2.

inline ulong mix(ulong z)
{
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
    return z ^ (z >> 31);
}
