package dev.clprop.nn;

import dev.clprop.device.Backend;
import dev.clprop.device.KernelLauncher;
import dev.clprop.device.KernelOp;
import dev.clprop.device.Tensor;
import dev.clprop.device.Tolerance;
import dev.clprop.model.LayerSpec;
import dev.clprop.model.OnnxNode;
import dev.clprop.model.ParamShape;
import dev.clprop.model.SpecElement;

import java.util.Arrays;
import java.util.List;
import java.util.Random;

/**
 * A rectifier with a trainable slope per feature, as PyTorch's {@code nn.PReLU(width)} (each slope starting
 * at 0.25): {@code y = x > 0 ? x : a_j·x}. Written {@code prelu}; its parameter is {@code slopeN} in model
 * files, {@code K.weight} in PyTorch. The whole layer kind is this class and kernels/prelu.cl: its grammar,
 * names, ONNX node, float64 definition, device layer, and its two ops with their float32 reference.
 */
public record PRelu() implements LayerSpec, DeviceLayerKind {
    /** The element in an architecture string. */
    public static final String SPELLING = "prelu";
    /** PyTorch's starting slope. */
    public static final float INITIAL_SLOPE = 0.25f;

    @Override
    public LayerSpec read(SpecElement e) {
        return e.isBare(SPELLING) ? new PRelu() : null;
    }

    @Override
    public String spelling() {
        return SPELLING;
    }

    @Override
    public List<ParamShape> parameterShapes(int inputWidth, int ordinal) {
        return List.of(ParamShape.vector("slope" + ordinal, inputWidth));
    }

    /** Every slope 0.25, as PyTorch starts them; draws nothing. */
    @Override
    public void initialise(List<float[]> parameters, int inputWidth, Random rng) {
        Arrays.fill(parameters.get(0), INITIAL_SLOPE);
    }

    @Override
    public List<String> torchModules(int inputWidth) {
        return List.of("nn.PReLU(" + inputWidth + ")");
    }

    @Override
    public List<String> torchParameters() {
        return List.of("0.weight");
    }

    /** ONNX's PRelu, the slope broadcast over the rows. */
    @Override
    public List<OnnxNode> onnxNodes(int inputWidth, List<ParamShape> parameters, List<ParamShape> buffers) {
        return List.of(OnnxNode.of("PRelu", OnnxNode.INPUT, OnnxNode.state(parameters.get(0).name())));
    }

    @Override
    public double[] exactForward(double[] a, int rows, int inputWidth, List<double[]> parameters) {
        double[] slope = parameters.get(0), y = new double[a.length];
        for (int i = 0; i < rows * inputWidth; i++) y[i] = a[i] > 0 ? a[i] : slope[i % inputWidth] * a[i];
        return y;
    }

    @Override
    public Layer create(Backend b, int index, int inputWidth, List<Param> params, List<Tensor> buffers, int maxBatch) {
        return new Device(b, this, index, inputWidth, params.get(0), maxBatch);
    }

    /** The output and its gradient. */
    @Override
    public long floatsPerRow(int inputWidth) {
        return 2L * inputWidth;
    }

    @Override
    public String toString() {
        return SPELLING;
    }

    /** The layer on a backend: the same in training and evaluation. */
    private static final class Device extends BufferedLayer<PRelu> {
        private final Param slope;

        Device(Backend b, PRelu spec, int index, int width, Param slope, int maxBatch) {
            super(b, spec, index, width, maxBatch);
            this.slope = slope;
        }

        @Override
        public List<Param> params() {
            return List.of(slope);
        }

        @Override
        public void forward(Tensor input, int m, dev.clprop.nn.Pass pass) {
            b.run(FORWARD, new Tensor[]{input, slope.value(), output}, m);
        }

        @Override
        public void backward(Tensor input, Tensor inputGradient, int m, dev.clprop.nn.Pass pass) {
            b.run(BACKWARD, new Tensor[]{outputGradient, input, slope.value(), inputGradient, slope.gradient()}, m);
        }
    }

    /** {@code y = x > 0 ? x : a_j·x} over the first m rows. Arguments: x, slope (1 × n), y. Modifies y. */
    static final KernelOp FORWARD = new KernelOp() {
        @Override
        public String name() {
            return "prelu_forward";
        }

        @Override
        public String kernelFile() {
            return "prelu.cl";
        }

        @Override
        public List<Integer> outputs() {
            return List.of(2);
        }

        @Override
        public void reference(float[][] v, Tensor[] args, int m) {
            int n = args[0].cols();
            float[] x = v[0], slope = v[1], y = v[2];
            for (int i = 0; i < m * n; i++) y[i] = x[i] > 0 ? x[i] : slope[i % n] * x[i];
        }

        @Override
        public void launch(KernelLauncher device, Tensor[] args, int m) {
            int n = args[0].cols();
            device.kernel("prelu_forward").tensor("x", args[0]).tensor("slope", args[1]).tensor("y", args[2]).i32("m", m).i32("n", n).grid(n, m);
        }
    };

    /**
     * {@code dx = dy·(x > 0 ? 1 : a_j)} (unless dx is null: the first layer) and {@code dslope_j = Σ_r dy·(x > 0 ? 0 : x)}
     * in row order. Arguments: dy, x, slope, dx, dslope. Modifies dx and dslope.
     */
    static final KernelOp BACKWARD = new KernelOp() {
        @Override
        public String name() {
            return "prelu_backward";
        }

        @Override
        public String kernelFile() {
            return "prelu.cl";
        }

        @Override
        public List<Integer> outputs() {
            return List.of(3, 4);
        }

        /** The slope's gradient sums m terms. */
        @Override
        public Tolerance tolerance(Tensor[] args, int m) {
            return Tolerance.gemm(m);
        }

        @Override
        public void reference(float[][] v, Tensor[] args, int m) {
            int n = args[0].cols();
            float[] dy = v[0], x = v[1], slope = v[2], dx = v[3], dslope = v[4];
            for (int j = 0; j < n; j++) {
                float s = 0f;
                for (int r = 0; r < m; r++) {
                    float g = dy[r * n + j], xv = x[r * n + j];
                    if (dx != null) dx[r * n + j] = xv > 0 ? g : slope[j] * g;
                    if (!(xv > 0)) s += g * xv;
                }
                dslope[j] = s;
            }
        }

        @Override
        public void launch(KernelLauncher device, Tensor[] args, int m) {
            int n = args[0].cols();
            Tensor dx = args[3];
            device.kernel("prelu_backward").tensor("dy", args[0]).tensor("x", args[1]).tensor("slope", args[2]).tensor("dx", dx == null ? args[0] : dx)
                    .tensor("dslope", args[4]).i32("m", m).i32("n", n).i32("has_dx", dx == null ? 0 : 1).items(n);
        }
    };
}
