package dev.clprop.cli;

import dev.clprop.device.GemmFamily;
import picocli.CommandLine.Option;

/** {@code --gemm}: which GEMM kernels OpenCL devices run, for every command that opens one. */
final class GemmOption {
    @Option(names = "--gemm", paramLabel = "auto|tiled|vector",
            description = {"GEMM kernels on OpenCL devices (default: ${DEFAULT-VALUE}): tiled = local-memory tiles (GPUs' default),",
                    "vector = SIMD vectors and packed panels (CPU drivers' default), auto = the tuned or the device's default"})
    String gemm = "auto";

    GemmFamily family() {
        return GemmFamily.parse(gemm);
    }
}
