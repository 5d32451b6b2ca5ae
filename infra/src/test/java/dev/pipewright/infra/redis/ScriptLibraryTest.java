package dev.pipewright.infra.redis;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HexFormat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ScriptLibraryTest {
    private static String version() {
        return Script.libraryName().substring("pipewright_".length());
    }

    /**
     * Processes of different versions each load and call their own library, so any change to the
     * library's text (a script, lib.lua, or the code that registers the scripts) must change its
     * name: the version is a digest of the whole text, with the version itself left out.
     */
    @Test
    void theVersionIsADigestOfTheWholeLibraryText() throws Exception {
        String text = Script.LIBRARY.replace(version(), "<version>");
        byte[] digest = MessageDigest.getInstance("SHA-1").digest(text.getBytes(StandardCharsets.UTF_8));
        assertEquals(version(), HexFormat.of().formatHex(digest).substring(0, 12));
    }

    @Test
    void everyScriptIsRegisteredUnderItsFunctionName() {
        assertTrue(Script.LIBRARY.startsWith("#!lua name=" + Script.libraryName() + "\n"));
        for (Script s : Script.values()) {
            assertTrue(s.functionName().startsWith("pw_" + version() + "_"), s.functionName());
            assertTrue(Script.LIBRARY.contains("redis.register_function('" + s.functionName() + "', function(KEYS, ARGV)"), s.name());
        }
    }
}
