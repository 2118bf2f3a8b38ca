package dev.clprop.device.opencl;

import dev.clprop.OpenClDevices;
import dev.clprop.error.DeviceException;
import dev.clprop.loss.Loss;
import dev.clprop.model.Activation;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What Java and the kernels share is written once: constants come from the enums as -D options,
 * the kernel files refuse to build without them, and every launch's arguments are checked by name
 * and type against the compiled kernel.
 */
class KernelContractTest {
    static final Path KERNELS = Path.of("kernels");

    @Test
    void everyEnumValueAndConstantBecomesABuildOption() {
        Map<String, String> d = KernelConstants.definitions();
        for (Activation a : Activation.values()) assertEquals(Integer.toString(a.code()), d.get("ACT_" + a.name()));
        for (Loss l : Loss.values()) assertEquals(Integer.toString(l.code()), d.get("LOSS_" + l.name()));
        assertEquals(Activation.LEAKY_SLOPE, parse(d.get("LEAKY_SLOPE")), 0f);
        assertEquals(Loss.BCE_LOG_FLOOR, parse(d.get("BCE_LOG_FLOOR")), 0f);
        assertEquals(Loss.BCE_GRAD_EPS, parse(d.get("BCE_GRAD_EPS")), 0f);
        assertEquals(Integer.toString(KernelConstants.ITEM_WIDTH), d.get("ITEM_WIDTH"));
        assertFalse(KernelConstants.buildOptions().contains("  "), "options are separated by single spaces");
    }

    /** "(0x1.47ae14p-7f)" → 0.01f, exactly. */
    static float parse(String literal) {
        String s = literal.replaceAll("[()]", "");
        return Float.parseFloat(s.substring(0, s.length() - 1));
    }

    @Test
    @Tag("source-tree") // reads kernels/ from the checkout; the GPU bundle has only the jar
    void noKernelFileRetypesAConstant() throws IOException {
        Pattern retyped = Pattern.compile("#\\s*define\\s+(ACT_|LOSS_|LEAKY_SLOPE|BCE_|ITEM_WIDTH)");
        try (Stream<Path> files = Files.list(KERNELS)) {
            List<Path> cl = files.filter(p -> p.toString().endsWith(".cl")).toList();
            assertTrue(cl.size() >= 6, cl.toString());
            for (Path p : cl) {
                String src = Files.readString(p);
                assertFalse(retyped.matcher(src).find(), p + " defines a constant that must come from Java");
            }
        }
    }

    @Test
    void kernelFilesRefuseToBuildWithoutTheGeneratedConstants() {
        try (ClContext ctx = new ClContext(OpenClDevices.device())) {
            for (String file : new String[]{OpenClBackend.ACTIVATION_FUNCTIONS, "loss_functions.cl", "optimizer.cl", "gather.cl"}) {
                DeviceException e = assertThrows(DeviceException.class, () -> new ClProgram(ctx, file, "-cl-kernel-arg-info").close());
                assertTrue(e.getMessage().contains("build with the -D options clprop generates"), e.getMessage());
            }
            ClProgram.build(ctx, OpenClBackend.ACTIVATION_FUNCTIONS, "").close();
        }
    }

    @Test
    void theOpFilesBuildAsOneProgramAndEachAlone() {
        try (ClContext ctx = new ClContext(OpenClDevices.device())) {
            // each file alone, after the shared functions
            for (String file : OpenClBackend.OP_FILES) {
                List<String> files = new java.util.ArrayList<>(OpenClBackend.FUNCTION_FILES);
                if (!files.contains(file)) files.add(file);
                ClProgram.build(ctx, files, "").close();
            }
            for (GemmConfig g : new GemmConfig[]{GemmConfig.TILED_SMALL, GemmConfig.VECTOR_DEFAULT}) ClProgram.build(ctx, g.files(), g.buildOptions()).close();
            try (ClProgram all = ClProgram.build(ctx, OpenClBackend.OP_FILES, "")) {
                assertEquals(String.join("+", OpenClBackend.OP_FILES), all.file);
                assertTrue(all.options.contains(ClProgram.NUMERICS) && all.options.contains(KernelConstants.buildOptions()), all.options);
                all.kernel("dropout", null);
                all.kernel("bias_activation", null);
            }
            // a failed build of several files names them all
            DeviceException e = assertThrows(DeviceException.class,
                    () -> ClProgram.build(ctx, List.of("gather.cl", OpenClBackend.ACTIVATION_FUNCTIONS), "-UACT_RELU").close());
            assertTrue(e.getMessage().contains("kernels/gather.cl+activation_functions.cl"), e.getMessage());
        }
    }

    @Test
    void everyKernelIsCheckedAgainstItsSignatureAtItsFirstLaunch() {
        try (OpenClBackend b = OpenClDevices.backend()) {
            dev.clprop.train.DeviceSelfTest.check(b);
            List<String> verified = b.verifiedKernels();
            // bias_activation and column_sums are not among them: training runs them inside the GEMMs (the forward
            // epilogue, the bias gradient beside the weight gradient); OpenClOpsTest checks the kernels alone
            for (String k : new String[]{"bias_softmax", "activation_backward", "softmax_backward", "loss_gradient_sum",
                    "weighted_loss_gradient_sum", "sgd_step", "momentum_step", "adam_step", "gather_rows", "dropout"}) {
                assertTrue(verified.contains(k), k + " was launched but not checked: " + verified);
            }
            assertTrue(verified.contains("gemm_nt") || verified.contains("gemm"), verified.toString());
        }
    }

    @Test
    void anArgumentInTheWrongPlaceFailsAtOnceWithBothNames() {
        try (ClContext ctx = new ClContext(OpenClDevices.device()); ClProgram p = ClProgram.build(ctx, "optimizer.cl", "")) {
            ClKernel.EventSink none = new ClKernel.EventSink() {
                public boolean wantsEvents() {
                    return false;
                }

                public void record(String name, org.jocl.cl_event e) {
                }
            };
            ClKernel sgd = p.kernel("sgd_step", none);
            // lr and wd swapped: both floats, so only the names can tell
            IllegalStateException e = assertThrows(IllegalStateException.class,
                    () -> sgd.call().f32("wd", 0.1f));
            assertTrue(e.getMessage().contains("argument 0 is 'float* p'") && e.getMessage().contains("'float wd'"), e.getMessage());
            ClKernel sgd2 = p.kernel("sgd_step", none);
            IllegalStateException swapped = assertThrows(IllegalStateException.class, () -> {
                try (OpenClBackend b = OpenClDevices.backend()) {
                    ClTensor t = (ClTensor) b.allocate(1, 4);
                    try {
                        sgd2.call().floats("p", t).floats("g", t).i32("count", 4).f32("wd", 0f).f32("lr", 0.1f);
                    } finally {
                        t.close();
                    }
                }
            });
            assertTrue(swapped.getMessage().contains("argument 3 is 'float lr'") && swapped.getMessage().contains("'float wd'"), swapped.getMessage());
            // a buffer and an int out of place, each checked by its own name
            IllegalStateException buffers = assertThrows(IllegalStateException.class, () -> {
                try (OpenClBackend b = OpenClDevices.backend(); ClTensor t = (ClTensor) b.allocate(1, 4)) {
                    p.kernel("sgd_step", none).call().floats("g", t);
                }
            });
            assertTrue(buffers.getMessage().contains("argument 0 is 'float* p'") && buffers.getMessage().contains("'float* g'"), buffers.getMessage());
            IllegalStateException count = assertThrows(IllegalStateException.class, () -> {
                try (OpenClBackend b = OpenClDevices.backend(); ClTensor t = (ClTensor) b.allocate(1, 4)) {
                    p.kernel("sgd_step", none).call().floats("p", t).floats("g", t).i32("n", 4);
                }
            });
            assertTrue(count.getMessage().contains("argument 2 is 'int count'") && count.getMessage().contains("'int n'"), count.getMessage());
            assertFalse(sgd2.verified(), "a failed check leaves the kernel unverified");
        }
    }
}
