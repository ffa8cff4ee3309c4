/* test-hub-sha256.c: SHA-256 against FIPS 180-4 / NIST vectors. */
#include "baton/hub-sha256.h"

#include "test.h"

static void test_vectors(void)
{
	char hex[SHA256_HEX_LEN + 1];

	sha256_hex("", 0, hex);
	CHECK_STR(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	sha256_hex("abc", 3, hex);
	CHECK_STR(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	const char *two = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
	sha256_hex(two, strlen(two), hex);
	CHECK_STR(hex, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

static void test_million_a(void)
{
	struct sha256 c;
	unsigned char d[SHA256_LEN];
	char a[1000];
	static const unsigned char want[4] = { 0xcd, 0xc7, 0x6e, 0x5c };

	memset(a, 'a', sizeof a);
	sha256_init(&c);
	for (int i = 0; i < 1000; i++)
		sha256_update(&c, a, sizeof a);
	sha256_final(&c, d);
	CHECK(memcmp(d, want, 4) == 0);
}

static const struct test tests[] = { TEST(test_vectors), TEST(test_million_a) };
TEST_MAIN(tests)
