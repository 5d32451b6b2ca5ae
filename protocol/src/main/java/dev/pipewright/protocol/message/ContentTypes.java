package dev.pipewright.protocol.message;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/** Guesses a consumable's content type from its bytes: JSON, UTF-8 text, or octet stream. */
public final class ContentTypes {
    public static final String JSON = "application/json";
    public static final String TEXT = "text/plain; charset=utf-8";
    public static final String BINARY = "application/octet-stream";

    private ContentTypes() {
    }

    public static String sniff(byte[] bytes) {
        if (bytes.length == 0) {
            return TEXT;
        }
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            return BINARY;
        }
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c < 0x20 && c != '\n' && c != '\r' && c != '\t') {
                return BINARY;
            }
        }
        String t = text.strip();
        if ((t.startsWith("{") && t.endsWith("}")) || (t.startsWith("[") && t.endsWith("]"))) {
            return JSON;
        }
        return TEXT;
    }
}
