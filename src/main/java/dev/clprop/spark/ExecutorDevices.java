package dev.clprop.spark;

import dev.clprop.device.Backend;
import dev.clprop.device.DeviceSelection;
import dev.clprop.device.Tensor;
import dev.clprop.device.reference.EjmlBackend;
import dev.clprop.loss.Loss;
import dev.clprop.model.Architecture;
import dev.clprop.optim.Optimizer;
import dev.clprop.nn.DeviceNetwork;
import dev.clprop.train.DeviceSelfTest;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedDeque;

/**
 * The devices of one executor JVM, kept between tasks: opening an OpenCL device and building its
 * kernels takes seconds, a step's task milliseconds. Each concurrently running task borrows its own
 * device and network (a task slot each), returns it when done; idle ones wait for the next task. An
 * OpenCL device passes the self-test when it is opened, as on one machine.
 */
final class ExecutorDevices {
    /** A device with a network of one shape and batch buffers for it. */
    static final class Slot implements AutoCloseable {
        final Backend backend;
        final DeviceNetwork net;
        final Tensor x, y;
        final float[] hostX, hostY;

        Slot(Backend backend, Architecture arch, Loss loss, Optimizer optimizer, int maxBatch) {
            this.backend = backend;
            net = new DeviceNetwork(backend, arch, loss, optimizer, maxBatch, 0);
            x = backend.allocate(maxBatch, arch.inputs());
            y = backend.allocate(maxBatch, arch.outputs());
            hostX = new float[maxBatch * arch.inputs()];
            hostY = new float[maxBatch * arch.outputs()];
        }

        @Override
        public void close() {
            y.close();
            x.close();
            net.close();
            backend.close();
        }
    }

    private static final Map<String, ConcurrentLinkedDeque<Slot>> IDLE = new ConcurrentHashMap<>();

    private ExecutorDevices() {
    }

    static String key(String device, Architecture arch, Loss loss, Optimizer optimizer, int maxBatch) {
        return device + "|" + arch.spelling() + "|" + loss + "|" + (optimizer == null ? "-" : optimizer.withLearningRate(1f)) + "|" + maxBatch;
    }

    /**
     * An idle slot for this device and network shape, or a new one; with an optimizer (averaging mode's
     * local steps) the network keeps optimizer state, else it only computes gradients.
     */
    static Slot borrow(String device, Architecture arch, Loss loss, Optimizer optimizer, int maxBatch) {
        Slot s = IDLE.computeIfAbsent(key(device, arch, loss, optimizer, maxBatch), k -> new ConcurrentLinkedDeque<>()).pollFirst();
        if (s != null) return s;
        List<Backend> opened = DeviceSelection.open(device, line -> { });
        if (opened.size() != 1) {
            for (Backend b : opened) b.close();
            throw new IllegalArgumentException("an executor trains on one device, but '" + device + "' names " + opened.size());
        }
        Backend b = opened.get(0);
        try {
            if (!(b instanceof EjmlBackend)) DeviceSelfTest.check(b);
            return new Slot(b, arch, loss, optimizer, maxBatch);
        } catch (RuntimeException e) {
            b.close();
            throw e;
        }
    }

    static void giveBack(String device, Architecture arch, Loss loss, Optimizer optimizer, int maxBatch, Slot s) {
        IDLE.computeIfAbsent(key(device, arch, loss, optimizer, maxBatch), k -> new ConcurrentLinkedDeque<>()).addFirst(s);
    }

    /** Closes every idle slot (when the driver shares the JVM with its executors, after a fit). */
    static void closeIdle() {
        for (ConcurrentLinkedDeque<Slot> q : IDLE.values()) {
            for (Slot s; (s = q.pollFirst()) != null; ) s.close();
        }
    }
}
