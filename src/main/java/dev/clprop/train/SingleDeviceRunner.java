package dev.clprop.train;

import dev.clprop.spi.RunConfig;

import dev.clprop.spi.StepRunner;

import dev.clprop.data.Dataset;
import dev.clprop.device.Backend;
import dev.clprop.model.Parameters;
import dev.clprop.nn.DeviceNetwork;
import dev.clprop.optim.OptimizerState;

/**
 * Training on one device: the dataset uploaded once, each step a gather, forward, backward and update
 * that never leave the device. With verification, every op goes through a {@link Lockstep}.
 */
final class SingleDeviceRunner implements StepRunner {
    private final Lockstep lockstep;
    private final DeviceNetwork net;
    private final DeviceData data, validation;

    SingleDeviceRunner(Backend backend, RunConfig cfg, Dataset train, Dataset validation, int batch) {
        BatchNormRows.check(cfg.architecture(), train.rows(), batch, 1);
        lockstep = cfg.verifyEvery() > 0 ? new Lockstep(backend) : null;
        Backend b = lockstep != null ? lockstep.backend() : backend;
        int outputs = cfg.architecture().outputs();
        DeviceNetwork n = null;
        DeviceData d = null, v = null;
        try {
            n = new DeviceNetwork(b, cfg.architecture(), cfg.loss(), cfg.optimizer(), batch, cfg.seed());
            d = new DeviceData(b, train, outputs, batch);
            v = validation == null ? null : new DeviceData(b, validation, outputs, batch);
        } catch (RuntimeException e) {
            for (AutoCloseable c : new AutoCloseable[]{v, d, n, lockstep}) DeviceData.closeQuietly(c);
            throw e;
        }
        net = n;
        data = d;
        this.validation = v;
    }

    @Override
    public String name() {
        return lockstep != null ? lockstep.device().name() : net.backend().name();
    }

    @Override
    public void setParameters(Parameters p) {
        net.setParameters(p);
    }

    @Override
    public void setOptimizerState(OptimizerState s) {
        net.setOptimizerState(s);
    }

    @Override
    public void setClipNorm(float maxNorm) {
        net.setClipNorm(maxNorm);
    }

    @Override
    public void setClassWeights(float[] weights) {
        net.setClassWeights(weights);
    }

    @Override
    public void setLearningRate(float rate) {
        net.setLearningRate(rate);
    }

    @Override
    public long step() {
        return net.step();
    }

    @Override
    public void setOrder(int[] order) {
        data.setOrder(order);
    }

    @Override
    public void trainBatch(int offset, int m) {
        data.gatherBatch(offset, m);
        net.trainStep(data.batchX, data.batchY, m);
    }

    @Override
    public double takeLossSum() {
        return net.takeLossSum();
    }

    @Override
    public Parameters parameters() {
        return net.parameters();
    }

    @Override
    public OptimizerState optimizerState() {
        return net.optimizerState();
    }

    @Override
    public float[] validationOutputs() {
        return Evaluator.predict(net, validation);
    }

    @Override
    public void beginVerify() {
        if (lockstep != null) lockstep.begin();
    }

    @Override
    public String endVerify(String what) {
        return lockstep == null ? null : lockstep.end(what);
    }

    @Override
    public void close() {
        for (AutoCloseable c : new AutoCloseable[]{validation, data, net, lockstep}) DeviceData.closeQuietly(c);
    }
}
