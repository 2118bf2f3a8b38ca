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
    ARCHITECTURE("architecture", "--layers"),
    ACTIVATION("activation", "--layers: activation"),
    UNITS("units", "--layers: units"),
    INPUTS("inputs", "--layers"),
    DROPOUT("dropout", "--layers: dropout"),
    LOSS("loss", "--loss"),
    OPTIMIZER("optimizer", "--optimizer"),
    LEARNING_RATE("learningRate", "--lr"),
    MOMENTUM("momentum", "--momentum"),
    // Adam's constants: settings of the library only (the command line keeps PyTorch's defaults)
    BETA1("beta1", null),
    BETA2("beta2", null),
    EPSILON("epsilon", null),
    WEIGHT_DECAY("weightDecay", "--weight-decay"),
    BATCH_SIZE("batchSize", "--batch"),
    EPOCHS("epochs", "--epochs"),
    SEED("seed", "--seed"),
    SHUFFLE("shuffle", "--no-shuffle"),
    VALIDATION_SPLIT("validationSplit", "--val-split"),
    STANDARDIZE("standardize", "--standardize"),
    STANDARDIZE_TARGETS("standardizeTargets", "--standardize-targets"),
    EARLY_STOPPING("earlyStopping", "--early-stop"),
    VERIFY_EVERY("verifyEvery", "--verify-every"),
    SCHEDULE("schedule", "--lr-schedule"),
    CLIP_NORM("clipNorm", "--clip-norm"),
    CLASS_WEIGHTS("classWeights", "--class-weights"),
    INITIAL_WEIGHTS("initialWeights", "--init"),
    TRAINING_DATA("trainingData", "--data"),
    DEVICE("device", "--device"),
    GEMM("gemm", "--gemm"),
    TARGETS("targets", "--targets"),
    LABEL("label", "--label"),
    IGNORE("ignore", "--ignore"),
    OUT("out", "--out"),
    SAVE("save", "--save"),
    JSON("json", "--json"),
    PLOT("plot", "--plot"),
    OUTPUT("output", "--output"),
    ONNX("onnx", "--onnx"),
    TORCH_NPZ("torchNpz", "--torch-npz");

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
