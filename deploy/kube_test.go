package deploy_test

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/api/types"
	"sigs.k8s.io/kustomize/kyaml/filesys"
	"sigs.k8s.io/yaml"
)

const kubernetesDir = "kubernetes"

// kustomizations are the directories kustomize builds: the base and each
// overlay.
var kustomizations = []string{"base", "overlays/local", "overlays/production"}

// apiScheme knows every kind the manifests may use; any other kind fails.
func apiScheme(t *testing.T) *runtime.Scheme {
	t.Helper()
	s := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{
		corev1.AddToScheme, appsv1.AddToScheme, batchv1.AddToScheme,
		policyv1.AddToScheme, networkingv1.AddToScheme,
	} {
		if err := add(s); err != nil {
			t.Fatal(err)
		}
	}
	return s
}

// decodeStrict decodes one YAML document into its typed API object,
// rejecting unknown and duplicate fields.
func decodeStrict(s *runtime.Scheme, doc []byte) (runtime.Object, error) {
	var meta struct {
		APIVersion string `json:"apiVersion"`
		Kind       string `json:"kind"`
	}
	if err := yaml.Unmarshal(doc, &meta); err != nil {
		return nil, err
	}
	gv, err := schema.ParseGroupVersion(meta.APIVersion)
	if err != nil {
		return nil, err
	}
	obj, err := s.New(gv.WithKind(meta.Kind))
	if err != nil {
		return nil, err
	}
	if err := yaml.UnmarshalStrict(doc, obj); err != nil {
		return nil, err
	}
	return obj, nil
}

// splitDocuments splits a multi-document YAML stream, dropping empty ones.
func splitDocuments(data []byte) [][]byte {
	var docs [][]byte
	for _, d := range bytes.Split(data, []byte("\n---")) {
		d = bytes.TrimPrefix(d, []byte("---"))
		if len(bytes.TrimSpace(stripComments(d))) > 0 {
			docs = append(docs, d)
		}
	}
	return docs
}

func stripComments(d []byte) []byte {
	var out [][]byte
	for _, line := range bytes.Split(d, []byte("\n")) {
		if !bytes.HasPrefix(bytes.TrimSpace(line), []byte("#")) {
			out = append(out, line)
		}
	}
	return bytes.Join(out, []byte("\n"))
}

// TestManifestsDecodeStrictly decodes every file under kubernetes/, patches
// included, into the Kubernetes API types (and kustomization.yaml into
// kustomize's), so a misspelt or misplaced field fails here, not at apply.
func TestManifestsDecodeStrictly(t *testing.T) {
	s := apiScheme(t)
	files := 0
	err := filepath.WalkDir(kubernetesDir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".yaml") {
			return err
		}
		files++
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if d.Name() == "kustomization.yaml" {
			if err := yaml.UnmarshalStrict(data, &types.Kustomization{}); err != nil {
				t.Errorf("%s: %v", path, err)
			}
			return nil
		}
		for i, doc := range splitDocuments(data) {
			if _, err := decodeStrict(s, doc); err != nil {
				t.Errorf("%s, document %d: %v", path, i+1, err)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if files < 10 {
		t.Fatalf("only %d manifests found under %s", files, kubernetesDir)
	}
}

// build runs kustomize on dir (relative to kubernetes/) and decodes its
// output strictly.
func build(t *testing.T, s *runtime.Scheme, dir string) []runtime.Object {
	t.Helper()
	k := krusty.MakeKustomizer(krusty.MakeDefaultOptions())
	m, err := k.Run(filesys.MakeFsOnDisk(), filepath.Join(kubernetesDir, dir))
	if err != nil {
		t.Fatalf("kustomize build %s: %v", dir, err)
	}
	var objs []runtime.Object
	for _, r := range m.Resources() {
		doc, err := r.AsYAML()
		if err != nil {
			t.Fatalf("kustomize build %s: %s: %v", dir, r.CurId(), err)
		}
		obj, err := decodeStrict(s, doc)
		if err != nil {
			t.Errorf("kustomize build %s: %s: %v", dir, r.CurId(), err)
			continue
		}
		objs = append(objs, obj)
	}
	return objs
}

// TestKustomizeBuilds builds the base and each overlay and checks what
// they would apply against pixcdn's flag table and the rules of
// checkDeployment.
func TestKustomizeBuilds(t *testing.T) {
	s := apiScheme(t)
	tables := loadFlagTables(t)
	for _, dir := range kustomizations {
		t.Run(strings.ReplaceAll(dir, "/", "-"), func(t *testing.T) {
			objs := build(t, s, dir)
			checkDeployment(t, tables, objs, externalSecrets[dir])
		})
	}
}
