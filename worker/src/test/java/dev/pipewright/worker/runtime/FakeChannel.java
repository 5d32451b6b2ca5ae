package dev.pipewright.worker.runtime;

import com.rabbitmq.client.Channel;

import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/** A RabbitMQ channel that only records the acks, nacks, rejects and publishes it is sent. */
final class FakeChannel {
    final List<String> calls = Collections.synchronizedList(new ArrayList<>());
    final Channel channel = (Channel) Proxy.newProxyInstance(Channel.class.getClassLoader(), new Class<?>[]{Channel.class},
            (proxy, method, args) -> switch (method.getName()) {
                case "basicAck" -> record("ack " + args[0] + ((Boolean) args[1] ? " multiple" : ""));
                case "basicNack" -> record("nack " + args[0]);
                case "basicReject" -> record("reject " + args[0]);
                case "basicPublish" -> record("publish " + args[0] + " " + args[1]);
                case "confirmSelect", "waitForConfirmsOrDie" -> null;
                case "createChannel" -> proxy;
                case "isOpen" -> true;
                case "hashCode" -> System.identityHashCode(proxy);
                case "equals" -> proxy == args[0];
                case "toString" -> "FakeChannel";
                default -> throw new UnsupportedOperationException(method.getName());
            });

    private Object record(String call) {
        calls.add(call);
        return null;
    }
}
