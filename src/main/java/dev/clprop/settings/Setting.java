package dev.clprop.settings;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Every setting a user can get wrong, with its two spellings: the library's (the builder method, the
 * name in {@code InvalidSettingException.setting()} and the key a checkpoint records) and the command
 * line's flag. The one list both front ends take their names from: the command line maps an exception's
 * setting to its flag through {@link #flags()}, and checkpoints key their settings by {@link #key()}.
 */
public enum Setting {
    /** The network's layers (SPEC). */
    ARCHITECTURE("architecture", "--layers"),
    /** A layer's activation, within the SPEC. */
    ACTIVATION("activation", "--layers: activation"),
    /** A layer's units, within the SPEC. */
    UNITS("units", "--layers: units"),
    /** The input width, the SPEC's first number. */
    INPUTS("inputs", "--layers"),
    /** A dropout layer's probability, within the SPEC. */
    DROPOUT("dropout", "--layers: dropout"),
    /** The loss. */
    LOSS("loss", "--loss"),
    /** The optimizer. */
    OPTIMIZER("optimizer", "--optimizer"),
    /** The learning rate. */
    LEARNING_RATE("learningRate", "--lr"),
    /** The momentum of SGD with momentum. */
    MOMENTUM("momentum", "--momentum"),
    // Adam's constants: settings of the library only (the command line keeps PyTorch's defaults)
    /** Adam's β1. */
    BETA1("beta1", null),
    /** Adam's β2. */
    BETA2("beta2", null),
    /** Adam's ε. */
    EPSILON("epsilon", null),
    /** L2 weight decay added to the gradient. */
    WEIGHT_DECAY("weightDecay", "--weight-decay"),
    /** Rows per step. */
    BATCH_SIZE("batchSize", "--batch"),
    /** Passes over the training rows. */
    EPOCHS("epochs", "--epochs"),
    /** The seed of every random choice. */
    SEED("seed", "--seed"),
    /** A new row order each epoch. */
    SHUFFLE("shuffle", "--no-shuffle"),
    /** Share of the training rows held out for validation. */
    VALIDATION_SPLIT("validationSplit", "--val-split"),
    /** Inputs standardized. */
    STANDARDIZE("standardize", "--standardize"),
    /** Regression targets scaled for training. */
    STANDARDIZE_TARGETS("standardizeTargets", "--standardize-targets"),
    /** Early-stopping patience in epochs. */
    EARLY_STOPPING("earlyStopping", "--early-stop"),
    /** Op-by-op verification every so many steps. */
    VERIFY_EVERY("verifyEvery", "--verify-every"),
    /** The learning-rate schedule. */
    SCHEDULE("schedule", "--lr-schedule"),
    /** The global gradient norm to clip to. */
    CLIP_NORM("clipNorm", "--clip-norm"),
    /** Cross-entropy class weights. */
    CLASS_WEIGHTS("classWeights", "--class-weights"),
    /** Weights to start from. */
    INITIAL_WEIGHTS("initialWeights", "--init"),
    /** The training rows (a checkpoint records their fingerprint). */
    TRAINING_DATA("trainingData", "--data"),
    /** Where to run. */
    DEVICE("device", "--device"),
    /** The GEMM kernel family on OpenCL devices. */
    GEMM("gemm", "--gemm"),
    /** How many regression target columns a CSV has. */
    TARGETS("targets", "--targets"),
    /** The label column of a CSV. */
    LABEL("label", "--label"),
    /** Columns of a CSV set aside. */
    IGNORE("ignore", "--ignore"),
    /** A run's output folder. */
    OUT("out", "--out"),
    /** Where the trained model goes. */
    SAVE("save", "--save"),
    /** Where a JSON report goes. */
    JSON("json", "--json"),
    /** Where a chart goes. */
    PLOT("plot", "--plot"),
    /** What predict prints: probabilities or classes. */
    OUTPUT("output", "--output"),
    /** Where an ONNX export goes. */
    ONNX("onnx", "--onnx"),
    /** Where a PyTorch state_dict export goes. */
    TORCH_NPZ("torchNpz", "--torch-npz"),
    /** Spark's averaging mode: local steps per round (1: exact). */
    SPARK_SYNC("sparkSync", "--spark-sync"),
    /** Partitions of the training rows on Spark. */
    SPARK_PARTITIONS("sparkPartitions", "--spark-partitions");

    private final String key;
    private final String flag;

    Setting(String key, String flag) {
        this.key = key;
        this.flag = flag;
    }

    /** @return the library's name: the builder method, the exception's setting, the checkpoint key */
    public String key() {
        return key;
    }

    /** @return the command line's spelling, or null where the command line has none */
    public String flag() {
        return flag;
    }

    /** @return every setting's key mapped to its flag, for those the command line has */
    public static Map<String, String> flags() {
        Map<String, String> m = new LinkedHashMap<>();
        for (Setting s : values()) if (s.flag != null) m.putIfAbsent(s.key, s.flag);
        return m;
    }
}
