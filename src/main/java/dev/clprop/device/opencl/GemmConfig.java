package dev.clprop.device.opencl;

import dev.clprop.device.GemmFamily;

import java.util.List;
import java.util.Locale;

/**
 * Which GEMM kernels a device uses, with their tunables (passed as -D build options):
 * {@link Tiled} (kernels/gemm.cl: local-memory tiles, suits GPUs) or {@link Vector}
 * (kernels/gemm_vec.cl: explicit SIMD vectors without barriers, suits CPU drivers such as PoCL).
 * Written as text ("tiled:64,64,16,4,4" or "vector:8,4,2,6,2,512") in the tuning cache.
 */
public sealed interface GemmConfig permits GemmConfig.Tiled, GemmConfig.Vector {
    /** Default for GPUs and accelerators. */
    Tiled TILED_DEFAULT = new Tiled(64, 64, 16, 4, 4);
    /** For devices whose work-groups hold fewer than 256 work-items. */
    Tiled TILED_SMALL = new Tiled(32, 32, 16, 4, 4);
    /**
     * Default for CPU devices without AVX-512: 8-wide vectors, one AVX2 register each (16-wide ones
     * are split in two and spill), and blocks whose registers fit AVX2's 16: gemm_nt 4×2 (8
     * accumulators, 4 rows of A, 1 of B), gemm_nn 6 rows × 2 vectors (12 + 2 + 1). Best of the
     * tuner's 50 candidates on PoCL, AMD EPYC (Zen 3, AVX2), 2 cores: 70.9 ms for the MLP's GEMMs at
     * batch 128 plus 1024³, against 84.9 ms for the former default vector:8,8,2,8,2 (8×2 and 8×2
     * blocks need 25 and 19 registers); in training (bench --only training, two alternating runs)
     * 23-25k → 25-27k samples/s at batch 8, 76k → 102k at 128, 84-86k → 113-114k at 512 (sgd).
     */
    Vector VECTOR_DEFAULT = new Vector(8, 4, 2, 6, 2, Vector.PACK_FROM_K);
    /**
     * Default for AVX-512 CPUs: 8×2 register blocks use 16 of the 32 vector registers (on AVX2's 16
     * they would spill). Best of the tuner's search on PoCL, Xeon with AVX-512, 2 cores.
     */
    Vector VECTOR_AVX512 = new Vector(16, 8, 2, 8, 2, Vector.PACK_FROM_K);

    /** The kernel files of the GEMM program, in build order. */
    List<String> files();

    /** The -D options that set the kernels' tunables. */
    String buildOptions();

    /** This family's strategy on a backend, its kernels taken from {@code program} (built from {@link #files()}). */
    GemmKernels open(ClProgram program, OpenClBackend owner, ClContext ctx);

    /** Whether the kernels can run on {@code d} with these tunables without exceeding its limits or a work-item's memory. */
    boolean validFor(DeviceInfo d);

    /** The default for a device: vector kernels on CPUs, tiles elsewhere. */
    static GemmConfig defaultFor(DeviceInfo d) {
        return d.isCpu() ? vectorDefaultFor(d) : tiledDefaultFor(d);
    }

    /** The default of the tiled family for a device: 64×64 tiles, or 32×32 where work-groups are smaller. */
    static Tiled tiledDefaultFor(DeviceInfo d) {
        return TILED_DEFAULT.validFor(d) ? TILED_DEFAULT : TILED_SMALL;
    }

    /** The default of the vector family for a device: 16-wide on AVX-512 CPUs, else 8-wide. */
    static Vector vectorDefaultFor(DeviceInfo d) {
        return d.name().toLowerCase(Locale.ROOT).contains("avx512") ? VECTOR_AVX512 : VECTOR_DEFAULT;
    }

    /**
     * The configuration a device runs: for {@link GemmFamily#AUTO} the tuned one, else the device's default;
     * for a forced family the tuned one if it is of that family, else that family's default.
     *
     * @param tuned what the tuning cache holds for the device, or null
     */
    static GemmConfig choose(DeviceInfo d, GemmConfig tuned, GemmFamily family) {
        return switch (family) {
            case AUTO -> tuned != null ? tuned : defaultFor(d);
            case TILED -> tuned instanceof Tiled t ? t : tiledDefaultFor(d);
            case VECTOR -> tuned instanceof Vector v ? v : vectorDefaultFor(d);
        };
    }

    /** Reads the text form, "tiled:..." or "vector:..." (as the tuning cache stores it); throws IllegalArgumentException otherwise. */
    static GemmConfig parse(String s) {
        String t = s.trim().toLowerCase(Locale.ROOT);
        int colon = t.indexOf(':');
        if (colon < 0) throw new IllegalArgumentException("expected tiled:... or vector:..., got " + s);
        String[] f = t.substring(colon + 1).split(",");
        int[] v = new int[f.length];
        for (int i = 0; i < f.length; i++) v[i] = Integer.parseInt(f[i].trim());
        return switch (t.substring(0, colon)) {
            case "tiled" -> {
                if (v.length != 5) throw new IllegalArgumentException("expected 5 numbers in " + s);
                yield new Tiled(v[0], v[1], v[2], v[3], v[4]);
            }
            case "vector" -> {
                // five numbers: written before packing existed; such a cache entry packs from the default K
                if (v.length != 5 && v.length != 6) throw new IllegalArgumentException("expected 5 or 6 numbers in " + s);
                yield new Vector(v[0], v[1], v[2], v[3], v[4], v.length == 6 ? v[5] : Vector.PACK_FROM_K);
            }
            default -> throw new IllegalArgumentException("unknown GEMM variant in " + s);
        };
    }

    /** A work-group computes tsm×tsn of C in tsk-deep slices; each work-item wptm×wptn outputs. */
    record Tiled(int tsm, int tsn, int tsk, int wptm, int wptn) implements GemmConfig {
        /** Work-items per work-group: (tsm / wptm) · (tsn / wptn). */
        public int workGroupSize() {
            return (tsm / wptm) * (tsn / wptn);
        }

        @Override
        public List<String> files() {
            return List.of(OpenClBackend.ACTIVATION_FUNCTIONS, "gemm.cl");
        }

        @Override
        public GemmKernels open(ClProgram program, OpenClBackend owner, ClContext ctx) {
            return new TiledGemm(this, program, owner);
        }

        @Override
        public String buildOptions() {
            return "-DTS_M=" + tsm + " -DTS_N=" + tsn + " -DTS_K=" + tsk + " -DWPT_M=" + wptm + " -DWPT_N=" + wptn;
        }

        /**
         * Positive sizes, tiles that the work-items divide, a work-group and local tiles the device holds,
         * and at most {@link #MAX_ACCUMULATORS} accumulators per work-item (the tuner's largest is 64).
         */
        @Override
        public boolean validFor(DeviceInfo d) {
            return tsm > 0 && tsn > 0 && tsk > 0 && wptm > 0 && wptn > 0 && tsm <= 256 && tsn <= 256 && tsk <= 256
                    && tsm % wptm == 0 && tsn % wptn == 0 && wptm * wptn <= MAX_ACCUMULATORS
                    && workGroupSize() <= d.maxWorkGroupSize() && 4L * tsk * (tsm + tsn) <= d.localMemory();
        }

        /** Floats a work-item of the tiled kernel may accumulate in private memory. */
        public static final int MAX_ACCUMULATORS = 256;

        @Override
        public String toString() {
            return "tiled:" + tsm + "," + tsn + "," + tsk + "," + wptm + "," + wptn;
        }
    }

    /**
     * vw-wide float vectors; gemm_nt computes ntRm×ntRn outputs per work-item, gemm_nn nnRm rows
     * by nnCv vectors. Backward-data and weight-gradient products whose inner dimension K is at least
     * packFromK, and forward products from twice that, copy both operands into panels first
     * (gemm_pack_a, gemm_pack_b or gemm_pack_bt, then gemm_packed, which computes nnRm rows by nnCv
     * vectors as gemm_nn does), so that the kernel reads contiguous streams.
     */
    record Vector(int vw, int ntRm, int ntRn, int nnRm, int nnCv, int packFromK) implements GemmConfig {
        /**
         * Packing pays once gemm_nn's strip of B (K rows of vw·nnCv floats) no longer stays in L1.
         * Measured on PoCL, AMD EPYC (Zen 3), 2 cores, medians of three runs, packing included:
         * weight-gradient 512×256×784 1,764 → 1,365 us, 512×128×256 547 → 421 us; at batch 128
         * and 256 within noise or slower (+8 % at 256); backward-data at the MLP's K of 256 and less
         * 620 → 698 us (slower); 1024³ backward-data 19.0 → 11.5 ms, weight-gradient 31.8 → 11.8 ms.
         */
        public static final int PACK_FROM_K = 512;

        /** Whether a backward-data product with inner dimension k runs on packed panels. */
        public boolean packs(int k) {
            return k >= packFromK;
        }

        /**
         * Whether a weight-gradient product C(M,N) = δᵀ·A over K (the batch) runs on packed panels. Its A is
         * read through the transposed δ, a short run of rows per step, and its B is the layer input, K rows of N
         * floats: packing pays once that input outgrows the caches' easy reach, well before K reaches packFromK,
         * and not for a few output rows, where copying B costs more than the product. In units of packFromK, so
         * the one threshold moves them together (packFromK 1 packs every product, as the tests force): from
         * K·N ≥ 96·packFromK and M ≥ packFromK/8. Measured on PoCL, AMD EPYC (Zen 3), one worker thread (steady
         * to 2 %; two threads vary 2× here), packing included, M×N over K: 256×784 over 64 340 → 303 us, over 128
         * 709 → 583, over 256 1,540 → 1,198; 1024×1024 over 64 2,236 → 1,581; 128×256 over 128 115 → 129
         * (slower, K·N = 32 k), over 256 even, over 512 549 → 420; 10×128 over 512 18 → 33 (slower, M = 10).
         */
        public boolean packsWeightGrad(int m, int n, int k) {
            return m >= packFromK / 8 && (packs(k) || (long) k * n >= 96L * packFromK);
        }

        /**
         * Whether a forward product with inner dimension k runs on packed panels: from twice packFromK,
         * as gemm_nt's rows of A and W stay in L1 to a larger K than gemm_nn's strip of B. Measured (PoCL, EPYC,
         * 2 cores, packing included): 32×256×784 154 → 237 us and 128×256×784 598 → 661 us (slower),
         * 512×256×784 2,433 → 2,410 (even); 1024³ 13.4 → 12.0 ms, 2048³ 148 → 104 ms.
         */
        public boolean packsForward(int k) {
            return k >= 2L * packFromK;
        }

        @Override
        public List<String> files() {
            // the activation functions: gemm_nt applies the forward epilogue, gemm_nn the derivative of the layer below
            return List.of(OpenClBackend.ACTIVATION_FUNCTIONS, "gemm_vec.cl");
        }

        @Override
        public GemmKernels open(ClProgram program, OpenClBackend owner, ClContext ctx) {
            return new VectorGemm(this, program, owner, ctx);
        }

        @Override
        public String buildOptions() {
            return "-DVW=" + vw + " -DNT_RM=" + ntRm + " -DNT_RN=" + ntRn + " -DNN_RM=" + nnRm + " -DNN_CV=" + nnCv;
        }

        /**
         * Floats a work-item of the vector kernels may hold in accumulators: register blocks are private
         * arrays, and PoCL runs a work-item on a stack of its own, so a block of 32×32 float16s (64 KiB)
         * crashed the process where 16×16 (16 KiB) ran. 1,024 (4 KiB) is four times the tuner's largest
         * candidate (16 float16s) and well below what crashed.
         */
        public static final int MAX_ACCUMULATOR_FLOATS = 1024;

        /**
         * A vector width OpenCL has, blocks of 1 to 16 that fit {@link #MAX_ACCUMULATOR_FLOATS}, and a positive
         * threshold (any: it is only compared with sizes, so {@code Integer.MAX_VALUE} means never pack).
         */
        @Override
        public boolean validFor(DeviceInfo d) {
            return (vw == 4 || vw == 8 || vw == 16) && block(ntRm, ntRn) && block(nnRm, nnCv) && packFromK > 0;
        }

        private boolean block(int rows, int cols) {
            return rows > 0 && cols > 0 && rows <= 16 && cols <= 16 && rows * cols * vw <= MAX_ACCUMULATOR_FLOATS;
        }

        @Override
        public String toString() {
            return "vector:" + vw + "," + ntRm + "," + ntRn + "," + nnRm + "," + nnCv + "," + packFromK;
        }
    }
}
