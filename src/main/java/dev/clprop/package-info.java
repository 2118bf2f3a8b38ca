/**
 * clprop's public API: train multilayer perceptrons with OpenCL kernels, checked against an EJML
 * reference path.
 * <pre>{@code
 * Architecture arch = Architecture.builder(4).dense(16, Activation.TANH).dense(3, Activation.SOFTMAX).build();
 * Trainer trainer = Trainer.builder(arch).optimizer(Optimizer.adam(0.01f)).epochs(100).build();
 * TrainingResult result = trainer.fit(Dataset.classification(features, labels));
 * Model model = result.model();
 * int label = model.predictClass(row);
 * model.save(Path.of("iris.npz"));
 * }</pre>
 * The API is this package ({@link dev.clprop.Trainer}, {@link dev.clprop.Model}, {@link dev.clprop.Device},
 * {@link dev.clprop.TrainingResult}) with {@code dev.clprop.model} (architectures, activations),
 * {@code dev.clprop.loss}, {@code dev.clprop.optim}, {@code dev.clprop.data} (datasets and sources),
 * {@code dev.clprop.metrics}, {@code dev.clprop.error}, and from {@code dev.clprop.train} the listener,
 * cancellation and outcome types. Other packages are internal and may change.
 * <p>Ownership and threads: {@link dev.clprop.Model}s and {@link dev.clprop.Trainer}s are immutable and
 * safe to share. A {@link dev.clprop.Device} holds native resources: close it; it serializes calls
 * from several threads. A fit runs on the calling thread; a {@link dev.clprop.train.Cancellation}
 * stops it from another.
 */
package dev.clprop;
