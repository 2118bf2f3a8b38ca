package dev.clprop.model;

import dev.clprop.error.InvalidSettingException;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * A network's shape, without numbers: the input width and a sequence of layers. Immutable.
 * Built in code,
 * <pre>{@code Architecture.builder(4).dense(16, Activation.TANH).dense(3, Activation.SOFTMAX).build()}</pre>
 * or parsed from its string form, {@code Architecture.parse("4,16:tanh,3:softmax")}: the input
 * width, then one element per layer ({@code units:activation[:nobias]} for a dense layer,
 * {@code dropout:P} for dropout).
 * Softmax is allowed on the output layer only, and the output layer is a dense layer.
 */
public final class Architecture {
    /** The most parameters a network may have: every parameter tensor must fit one Java array. */
    public static final long MAX_PARAMETERS = Integer.MAX_VALUE - 8;
    /**
     * The most layers a network may have. Far beyond any trainable MLP; it keeps the SPEC a model file
     * stores well inside the text the file's reader accepts, so that every model that trains loads back.
     */
    public static final int MAX_LAYERS = 1000;

    private final int inputs;
    private final List<LayerSpec> layers;
    private final List<ParamShape> shapes;
    private final List<ParamShape> stateShapes;
    private final int buffers;

    Architecture(int inputs, List<LayerSpec> layers) {
        if (inputs <= 0) throw new InvalidSettingException("inputs", "must be a positive integer, got " + inputs);
        if (layers.isEmpty()) throw new InvalidSettingException(SpecGrammar.SETTING, "has no layers");
        if (layers.size() > MAX_LAYERS) {
            throw new InvalidSettingException(SpecGrammar.SETTING, "has " + layers.size() + " layers, more than the limit of " + MAX_LAYERS);
        }
        this.inputs = inputs;
        this.layers = List.copyOf(layers);
        if (!(this.layers.get(this.layers.size() - 1) instanceof DenseSpec)) {
            throw new InvalidSettingException(SpecGrammar.SETTING, "'" + spelling() + "' must end with a dense layer");
        }
        List<ParamShape> s = new ArrayList<>(), all = new ArrayList<>();
        int width = inputs, ordinal = 0, bufferCount = 0;
        for (int i = 0; i < this.layers.size(); i++) {
            LayerSpec l = this.layers.get(i);
            if (l instanceof DenseSpec d && d.activation() == Activation.SOFTMAX && i < this.layers.size() - 1) {
                throw new InvalidSettingException(SpecGrammar.SETTING, "'" + spelling() + "' uses softmax in layer " + (i + 1)
                        + ": softmax is allowed on the output layer only");
            }
            if (l.hasParameters()) ordinal++;
            for (ParamShape p : l.parameterShapes(width, ordinal)) {
                if ((long) p.rows() * p.cols() > MAX_PARAMETERS) {
                    throw new InvalidSettingException(SpecGrammar.SETTING, "'" + spelling() + "': " + p.name() + " would have "
                            + (long) p.rows() * p.cols() + " elements, more than one array can hold");
                }
                s.add(p);
                all.add(p);
            }
            List<ParamShape> buffers = l.bufferShapes(width, ordinal);
            all.addAll(buffers);
            bufferCount += buffers.size();
            width = l.outputWidth(width);
        }
        this.shapes = Collections.unmodifiableList(s);
        this.stateShapes = Collections.unmodifiableList(all);
        this.buffers = bufferCount;
        if (parameterCount() > MAX_PARAMETERS) {
            throw new InvalidSettingException(SpecGrammar.SETTING, "'" + spelling() + "' has " + parameterCount() + " parameters, more than the limit of " + MAX_PARAMETERS);
        }
    }

    /** Parses {@code inputs,units:activation[:nobias],...}, e.g. {@code 784,256:relu,10:softmax}. */
    public static Architecture parse(String spec) {
        return SpecGrammar.parse(spec);
    }

    /** Starts an architecture with {@code inputs} input features. */
    public static Builder builder(int inputs) {
        return new Builder(inputs);
    }

    /**
     * The network clprop uses when none is given: one hidden layer, {@code f,128:relu,C:softmax} for
     * C classes (at least 2), or {@code f,64:tanh,t:linear} for t regression targets.
     */
    public static Architecture defaultFor(int features, int classes, int targets) {
        if (targets > 0) return builder(features).dense(64, Activation.TANH).dense(targets, Activation.LINEAR).build();
        return builder(features).dense(128, Activation.RELU).dense(Math.max(2, classes), Activation.SOFTMAX).build();
    }

    /** Features a row has. */
    public int inputs() {
        return inputs;
    }

    /** Units of the last layer. */
    public int outputs() {
        return widthAfter(layers.size() - 1);
    }

    /** The layers, in order. */
    public List<LayerSpec> layers() {
        return layers;
    }

    /** The width of the input to layer {@code i} (0-based). */
    public int widthBefore(int i) {
        return i == 0 ? inputs : widthAfter(i - 1);
    }

    /** The width of the output of layer {@code i} (0-based). */
    public int widthAfter(int i) {
        int w = inputs;
        for (int j = 0; j <= i; j++) w = layers.get(j).outputWidth(w);
        return w;
    }

    /** The output layer's activation (the output layer is always dense). */
    public Activation outputActivation() {
        return ((DenseSpec) layers.get(layers.size() - 1)).activation();
    }

    /**
     * Every tensor of the model, layer by layer: the parameters and the layers' non-trainable buffers
     * (batchnorm's running statistics). What model files and {@link Parameters} hold.
     */
    public List<ParamShape> stateShapes() {
        return stateShapes;
    }

    /** Whether some layer keeps non-trainable buffers (batchnorm). */
    public boolean hasBuffers() {
        return buffers > 0;
    }

    /** Every trainable parameter tensor in order (W1, b1, W2, ...): what the optimizer updates. */
    public List<ParamShape> parameterShapes() {
        return shapes;
    }

    /** Trainable numbers: every weight and bias. */
    public long parameterCount() {
        long n = 0;
        for (ParamShape p : shapes) n += (long) p.rows() * p.cols();
        return n;
    }

    /** The architecture string, which {@link #parse} reads back. */
    public String spelling() {
        return SpecGrammar.spelling(this);
    }

    /** Whether a layer draws random masks while training (dropout). */
    public boolean hasDropout() {
        return layers().stream().anyMatch(l -> l instanceof DropoutSpec);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Architecture other && other.spelling().equals(spelling());
    }

    @Override
    public int hashCode() {
        return spelling().hashCode();
    }

    @Override
    public String toString() {
        return spelling();
    }

    /** Adds layers in order; {@link #build()} checks the whole. */
    public static final class Builder {
        private final int inputs;
        private final List<LayerSpec> layers = new ArrayList<>();

        private Builder(int inputs) {
            this.inputs = inputs;
        }

        /** A dense layer with a bias. */
        public Builder dense(int units, Activation activation) {
            return dense(units, activation, true);
        }

        /** A dense layer, with a bias or without. */
        public Builder dense(int units, Activation activation, boolean bias) {
            return layer(new DenseSpec(units, activation, bias));
        }

        /** Inverted dropout with probability {@code p} (active in training only). */
        public Builder dropout(float p) {
            return layer(new DropoutSpec(p));
        }

        /** Batch normalization of each feature (nn.BatchNorm1d). */
        public Builder batchNorm() {
            return layer(new BatchNormSpec());
        }

        /** Layer normalization over the features (nn.LayerNorm). */
        public Builder layerNorm() {
            return layer(new LayerNormSpec());
        }

        /** Any layer kind. */
        public Builder layer(LayerSpec layer) {
            layers.add(layer);
            return this;
        }

        /** The architecture, checked (at least one dense layer, softmax only last, within the size limits). */
        public Architecture build() {
            return new Architecture(inputs, layers);
        }
    }
}
