/**
 * The exceptions clprop throws on purpose, all {@link dev.clprop.error.ClpropException}s with a
 * one-line message: {@link dev.clprop.error.InvalidInputException} (bad data, files or values;
 * {@link dev.clprop.error.InvalidSettingException} names the setting),
 * {@link dev.clprop.error.IncompatibleModelException}, {@link dev.clprop.error.DeviceException} and
 * {@link dev.clprop.error.TrainingInterruptedException}. Anything else is a bug.
 */
package dev.clprop.error;
