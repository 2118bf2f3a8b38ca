package dev.clprop.error;

/** A setting with an impossible value, e.g. {@code batchSize} 0; {@link #setting()} names it. */
public class InvalidSettingException extends InvalidInputException {
    /** @param problem what is wrong, phrased to follow the setting's name: "must be positive, got 0" */
    public InvalidSettingException(String setting, String problem) {
        super(setting, problem, null);
    }
}
