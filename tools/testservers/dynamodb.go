package main

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
)

// The npm package that ships DynamoDB Local, and its version.
const (
	dynamoDBPackage = "amplify-dynamodb-simulator"
	dynamoDBVersion = "2.9.30"
)

// startDynamoDB runs DynamoDB Local in memory on a free loopback port and
// waits until it answers ListTables.
func startDynamoDB(ctx context.Context, cfg *config, s *servers) error {
	jar, err := dynamoDBJar(ctx, cfg)
	if err != nil {
		return fmt.Errorf("dynamodb: %w", err)
	}
	jarDir := filepath.Dir(jar)
	logPath := filepath.Join(cfg.tmp, "dynamodb.log")
	var lastErr error
	for range 3 {
		port, err := freePort(0)
		if err != nil {
			return fmt.Errorf("dynamodb: %w", err)
		}
		p, err := startProcess("dynamodb", logPath, jarDir, cfg.java,
			"-Xmx1g",
			// Start-up, not peak speed, dominates a test run: C1 only and
			// the serial collector halve the time to the first answer.
			"-XX:TieredStopAtLevel=1",
			"-XX:+UseSerialGC",
			"-Djava.library.path="+filepath.Join(jarDir, "DynamoDBLocal_lib"),
			"-jar", jar,
			"-inMemory",
			"-port", strconv.Itoa(port),
		)
		if err != nil {
			return err
		}
		endpoint := "http://" + loopback(port)
		err = waitReady(ctx, "dynamodb (DynamoDB Local)", logPath, p, cfg.timeout, func(ctx context.Context) error {
			return dynamoDBListTables(ctx, endpoint)
		})
		if err == nil {
			s.addStop(func() { p.stop(cfg.grace) })
			s.setEnv(envDynamoDBEndpoint, endpoint)
			return nil
		}
		died := p.exited()
		p.stop(cfg.grace)
		lastErr = err
		if !died || ctx.Err() != nil {
			break
		}
	}
	return lastErr
}

// dynamoDBListTables calls ListTables with made-up credentials (DynamoDB
// Local does not check signatures) and wants a 200 answer.
func dynamoDBListTables(ctx context.Context, endpoint string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint+"/", strings.NewReader("{}"))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-amz-json-1.0")
	req.Header.Set("X-Amz-Target", "DynamoDB_20120810.ListTables")
	req.Header.Set("X-Amz-Date", "20240101T000000Z")
	req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=test/20240101/us-east-1/dynamodb/aws4_request, SignedHeaders=host;x-amz-date;x-amz-target, Signature=0")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "TableNames") {
		return fmt.Errorf("ListTables: %s: %s", resp.Status, body)
	}
	return nil
}

// dynamoDBJar returns the path of DynamoDBLocal.jar in the cache, fetching
// and unpacking the npm package there first when it is not.
func dynamoDBJar(ctx context.Context, cfg *config) (string, error) {
	final := filepath.Join(cfg.cache, dynamoDBPackage+"-"+dynamoDBVersion)
	if jar, err := findJar(final); err == nil {
		return jar, nil
	}
	npm, err := exec.LookPath("npm")
	if err != nil {
		return "", fmt.Errorf("npm not found on PATH (needed once to fetch %s@%s into %s)", dynamoDBPackage, dynamoDBVersion, cfg.cache)
	}
	if err := os.MkdirAll(cfg.cache, 0o755); err != nil {
		return "", err
	}
	work, err := os.MkdirTemp(cfg.cache, ".fetch-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(work)

	cfg.logf("fetching %s@%s into %s", dynamoDBPackage, dynamoDBVersion, cfg.cache)
	cmd := exec.CommandContext(ctx, npm, "pack", "--silent", dynamoDBPackage+"@"+dynamoDBVersion, "--pack-destination", work)
	cmd.Dir = work
	out, err := cmd.CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("npm pack %s@%s: %w\n%s", dynamoDBPackage, dynamoDBVersion, err, out)
	}
	tgz := filepath.Join(work, dynamoDBPackage+"-"+dynamoDBVersion+".tgz")
	unpacked := filepath.Join(work, "unpacked")
	if err := untar(tgz, unpacked); err != nil {
		return "", fmt.Errorf("unpack %s: %w", tgz, err)
	}
	if _, err := findJar(unpacked); err != nil {
		return "", err
	}
	// Another run may have won the race; its copy is as good as ours.
	if err := os.Rename(unpacked, final); err != nil {
		if _, err2 := findJar(final); err2 != nil {
			return "", err
		}
	}
	return findJar(final)
}

// findJar finds DynamoDBLocal.jar with DynamoDBLocal_lib beside it under root.
func findJar(root string) (string, error) {
	var found string
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && d.Name() == "DynamoDBLocal.jar" {
			if fi, err := os.Stat(filepath.Join(filepath.Dir(path), "DynamoDBLocal_lib")); err == nil && fi.IsDir() {
				found = path
				return fs.SkipAll
			}
		}
		return nil
	})
	if err != nil {
		return "", err
	}
	if found == "" {
		return "", fmt.Errorf("no DynamoDBLocal.jar with DynamoDBLocal_lib under %s", root)
	}
	return found, nil
}

// untar unpacks a .tgz into dst, refusing entries that would land outside it.
func untar(tgz, dst string) error {
	f, err := os.Open(tgz)
	if err != nil {
		return err
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		return err
	}
	tr := tar.NewReader(zr)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		name := filepath.Clean(filepath.FromSlash(h.Name))
		if !filepath.IsLocal(name) {
			return fmt.Errorf("entry %q leaves the directory", h.Name)
		}
		path := filepath.Join(dst, name)
		switch h.Typeflag {
		case tar.TypeDir:
			if err := os.MkdirAll(path, 0o755); err != nil {
				return err
			}
		case tar.TypeReg:
			if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
				return err
			}
			out, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o644|fs.FileMode(h.Mode)&0o111)
			if err != nil {
				return err
			}
			_, err = io.Copy(out, tr)
			if cerr := out.Close(); err == nil {
				err = cerr
			}
			if err != nil {
				return err
			}
		}
	}
}
