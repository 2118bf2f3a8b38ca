package dev.clprop.backend.opencl;

/**
 * Tile parameters of kernels/gemm.cl, passed as -D build options. A work-group is
 * (tsn/wptn) × (tsm/wptm) work-items computing a tsm × tsn tile of C in tsk-deep slices.
 */
public record GemmConfig(int tsm, int tsn, int tsk, int wptm, int wptn) {
    public static final GemmConfig DEFAULT = new GemmConfig(64, 64, 16, 4, 4);
    /** For devices whose work-groups hold fewer than 256 work-items. */
    public static final GemmConfig SMALL = new GemmConfig(32, 32, 16, 4, 4);

    public int workGroupSize() {
        return (tsm / wptm) * (tsn / wptn);
    }

    public long localMemoryBytes() {
        return 4L * tsk * (tsm + tsn);
    }

    public boolean validFor(DeviceInfo d) {
        return tsm % wptm == 0 && tsn % wptn == 0 && workGroupSize() <= d.maxWorkGroupSize()
                && localMemoryBytes() <= d.localMemory();
    }

    public String buildOptions() {
        return "-DTS_M=" + tsm + " -DTS_N=" + tsn + " -DTS_K=" + tsk + " -DWPT_M=" + wptm + " -DWPT_N=" + wptn;
    }

    public static GemmConfig parse(String s) {
        String[] f = s.trim().split("[,x ]+");
        return new GemmConfig(Integer.parseInt(f[0]), Integer.parseInt(f[1]), Integer.parseInt(f[2]), Integer.parseInt(f[3]), Integer.parseInt(f[4]));
    }

    @Override
    public String toString() {
        return tsm + "," + tsn + "," + tsk + "," + wptm + "," + wptn;
    }
}
