package dev.pipewright.protocol.data;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** s3:// names, the allowed prefixes with their owners' areas, and the reference codec. */
class ObjectStoreRulesTest {
    private static final List<S3Uri> ALLOWED = List.of(S3Uri.prefix("s3://lake"), S3Uri.prefix("s3://scratch/team/"));

    @Test
    void parsesObjectsAndPrefixes() {
        assertEquals(new S3Uri("lake", "owners/alice/x.csv"), S3Uri.parse("s3://lake/owners/alice/x.csv"));
        assertEquals(new S3Uri("lake", ""), S3Uri.prefix("s3://lake"));
        assertEquals(new S3Uri("scratch", "team/"), S3Uri.prefix("s3://scratch/team"));
        assertEquals("s3://scratch/team/", S3Uri.prefix("s3://scratch/team/").toString());
        assertTrue(S3Uri.prefix("s3://scratch/team/").holds(S3Uri.parse("s3://scratch/team/a")));
        assertFalse(S3Uri.prefix("s3://scratch/team/").holds(S3Uri.parse("s3://scratch/teamx/a")));
    }

    @Test
    void refusesBadNames() {
        assertTrue(S3Uri.problem("s3://lake").contains("names a bucket, not an object"));
        assertTrue(S3Uri.problem("s3://Lake/x").contains("is not a bucket name"));
        assertTrue(S3Uri.problem("s3://lake/a/../b").contains("'..' segment"));
        assertTrue(S3Uri.problem("s3://lake/a//b").contains("empty segment"));
        assertTrue(S3Uri.problem("s3://lake/a/").contains("must not end with '/'"));
        assertTrue(S3Uri.problem("s3://lake/a\u0000b").contains("control characters"));
        assertNull(S3Uri.problem("s3://lake/owners/${who}/x.csv"));
        assertNull(DataPaths.problem("s3://lake/owners/alice/x.csv"));
        assertTrue(DataPaths.problem("s3://lake/../x").contains("'..' segment"));
    }

    @Test
    void fullSourcesStayInAllowedPrefixesAndTheOwnersArea() {
        assertEquals(new DataPaths.Location("s3://lake/owners/alice/x.csv", false),
                DataPaths.locate("alice", "s3://lake/owners/alice/x.csv", ALLOWED));
        assertEquals(new DataPaths.Location("s3://scratch/team/shared/in.csv", true),
                DataPaths.locate("bob", "s3://scratch/team/shared/in.csv", ALLOWED));
        IllegalArgumentException other = assertThrows(IllegalArgumentException.class,
                () -> DataPaths.locate("bob", "s3://lake/owners/alice/x.csv", ALLOWED));
        assertTrue(other.getMessage().contains("outside your areas of s3://lake/: name an object under s3://lake/owners/bob/"),
                other.getMessage());
        // an owner whose name is another's with a prefix does not reach into it
        assertThrows(IllegalArgumentException.class, () -> DataPaths.locate("ali", "s3://lake/owners/alice/x.csv", ALLOWED));
        IllegalArgumentException outside = assertThrows(IllegalArgumentException.class,
                () -> DataPaths.locate("bob", "s3://scratch/other/owners/bob/x", ALLOWED));
        assertTrue(outside.getMessage().contains("not in a bucket and prefix allowed"), outside.getMessage());
        IllegalArgumentException none = assertThrows(IllegalArgumentException.class,
                () -> DataPaths.locate("bob", "s3://lake/owners/bob/x", List.of()));
        assertTrue(none.getMessage().contains("PW_S3_SOURCES"), none.getMessage());
        // relative sources are as before
        assertEquals(new DataPaths.Location("owners/bob/x", false), DataPaths.locate("bob", "x", ALLOWED));
    }

    @Test
    void allowedPrefixIsCheckedAsTextAtCreate() {
        assertNull(DataPaths.allowedProblem("s3://lake/owners/${who}/x", ALLOWED));
        assertNull(DataPaths.allowedProblem("s3://scratch/te${x}/y", ALLOWED)); // decided at submit
        assertNull(DataPaths.allowedProblem("relative/x", ALLOWED));
        assertTrue(DataPaths.allowedProblem("s3://elsewhere/x", ALLOWED).contains("not in a bucket and prefix allowed"));
        assertTrue(DataPaths.allowedProblem("s3://scratch/other/${x}", ALLOWED).contains("not in a bucket and prefix allowed"));
    }

    @Test
    void referencesRoundTripAndAreTold() {
        ObjectRef ref = new ObjectRef("pw", "data/jobs/j1/n/1/out", 1L << 30, "ab".repeat(32), "application/octet-stream");
        byte[] encoded = ref.encode();
        assertTrue(ObjectRef.isRef(encoded));
        assertEquals(ref, ObjectRef.decode(encoded));
        assertEquals("s3://pw/data/jobs/j1/n/1/out", ref.uri());
        assertFalse(ObjectRef.isRef("{\"bucket\":\"pw\"}".getBytes()));
        assertFalse(ObjectRef.isRef(new byte[0]));
        assertFalse(ObjectRef.isRef(ObjectRef.MAGIC)); // the marker alone holds no reference
        assertTrue(ObjectRef.startsWithMagic(ObjectRef.MAGIC, ObjectRef.MAGIC.length));
        assertArrayEquals(ObjectRef.MAGIC, "\0pw-object-ref:1\n".getBytes());
        assertThrows(IllegalArgumentException.class, () -> ObjectRef.decode(ObjectRef.MAGIC));
    }
}
